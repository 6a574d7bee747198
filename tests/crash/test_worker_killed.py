"""kill -9 of the real `sdmd worker` in the middle of an update's `compose up` (issue 19): the run is
recorded `interrupted`, the containers run the old or the new image (never none), the lock frees
itself, and the next run works."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdmd.config import Settings
from sdmd.schedules.models import UpdateRun
from sdmd.updates.cycle import lock_key
from tests.crash.support import compose_up_running, project_containers, wait_for_orphans
from tests.schedules.conftest import Processes, redis, redis_socket, redis_url, upstream  # noqa: F401
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, wait_until

LOCK_TTL = 3


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, gitops_watch=False, health_grace_seconds=1.0, health_timeout_seconds=20.0,
                    update_wait_seconds=90.0, update_lock_ttl_seconds=LOCK_TTL)


def runs(core, service_id: str) -> list[UpdateRun]:
    with core.db.sessions() as session:
        return list(session.query(UpdateRun).filter_by(service_id=service_id).order_by(UpdateRun.id))


def test_worker_killed_mid_update(client: TestClient, core, settings, redis, upstream, unique_name,  # noqa: F811
                                  tmp_path):
    repo = upstream("wk")
    v1 = repo.publish(IMAGE_V1)
    name = unique_name("w")
    r = client.post("/api/services", json={"name": name, "image": repo.ref, **SLEEPER})
    assert r.status_code == 201, r.text
    service_id = r.json()["id"]
    v2 = repo.publish_remote_only(repo.build(IMAGE_V2), keep_local=v1)

    procs = Processes(settings, redis, tmp_path)
    try:
        procs.worker(SDMD_UPDATE_LOCK_TTL_SECONDS=str(LOCK_TTL))
        (worker, _), = procs.procs
        answer: dict = {}
        request = threading.Thread(target=lambda: answer.update(
            r=client.post(f"/api/services/{service_id}/update?mode=update&wait=0")))
        request.start()
        wait_until(lambda: compose_up_running(name), timeout=120, interval=0.02,
                   what=f"the update's compose up\n{procs.logs()}")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        request.join(timeout=60)
        assert answer["r"].status_code == 202, answer["r"].text  # queued, then the worker died under it
        wait_for_orphans(name)

        # Old or new image, running: never none.
        boxes = project_containers(name)
        assert [b["State"] for b in boxes] == ["running"], boxes
        assert boxes[0]["ImageID"] in (v1, v2)
        (run,) = runs(core, service_id)
        assert run.result == "running"  # what the dead worker left
        # The lock frees itself.
        wait_until(lambda: not redis.exists(lock_key(service_id)), timeout=LOCK_TTL * 3,
                   what="the dead worker's update lock to expire")

        # A worker starts again: the run is recorded as interrupted.
        procs.worker(SDMD_UPDATE_LOCK_TTL_SECONDS=str(LOCK_TTL))
        (run,) = wait_until(lambda: [r for r in runs(core, service_id) if r.result == "interrupted"], timeout=30,
                            what=f"the interrupted run\n{procs.logs()}")
        assert "worker stopped during the run" in run.reason

        r = client.post(f"/api/services/{service_id}/update?mode=update&wait=90")
        assert r.status_code == 200, r.text
        assert r.json()["run"]["result"] in ("updated", "up_to_date"), r.json()
        boxes = project_containers(name)
        assert [(b["State"], b["ImageID"]) for b in boxes] == [("running", v2)]
    finally:
        procs.stop_all()
