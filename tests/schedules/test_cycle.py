"""The update cycle end to end: real registry, real Docker, real `sdmd worker` and `sdmd scheduler`."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from sdmd.audit.models import AuditEntry
from tests.schedules.support import docker, image_id
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, docker_api, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def create_service(client, name: str, image: str, spec: dict | None = None) -> dict:
    r = client.post("/api/services", json={"name": name, "image": image, **(spec or SLEEPER)})
    assert r.status_code == 201, r.text
    return r.json()


def snapshot(name: str) -> dict[str, tuple[str, str, str]]:
    """{container id: (image id, state, started at)}: any recreate or restart changes it."""
    api = docker_api()
    try:
        out = {}
        for c in api.containers(all=True, filters={"label": f"com.docker.compose.project={name}"}):
            out[c["Id"]] = (c["ImageID"], c["State"], api.inspect_container(c["Id"])["State"]["StartedAt"])
        return out
    finally:
        api.close()


def update(client, service_id: str, mode: str = "update") -> dict:
    r = client.post(f"/api/services/{service_id}/update?mode={mode}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "finished" and body["run"]["mode"] == mode
    return body["run"]


def listed(client, service_id: str) -> dict:
    return next(s for s in client.get("/api/services").json() if s["id"] == service_id)


def audits(core, service_id: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.query(AuditEntry).filter_by(action="update.run", target_id=service_id)
                    .order_by(AuditEntry.id))


def test_a_due_schedule_fires_and_touches_nothing_when_up_to_date(client, core, unique_name, upstream, processes):
    repo = upstream("fire")
    v1 = repo.publish(IMAGE_V1)
    svc = create_service(client, unique_name("fire"), repo.ref)
    before = snapshot(svc["name"])
    processes.worker()
    processes.scheduler()
    at = datetime.now(UTC) + timedelta(seconds=8)
    r = client.post("/api/schedules", json={"service_id": svc["id"], "frequency": "daily", "timezone": "UTC",
                                            "time_of_day": at.strftime("%H:%M:%S")})
    assert r.status_code == 201, r.text
    schedule = r.json()
    due = datetime.fromisoformat(schedule["next_run_at"])
    assert timedelta(0) < due - datetime.now(UTC) < timedelta(seconds=9)

    done = wait_until(lambda: client.get(f"/api/schedules/{schedule['id']}").json()["last_result"] and
                      client.get(f"/api/schedules/{schedule['id']}").json(), timeout=60,
                      what=f"the schedule to fire\n{processes.logs()}")
    assert done["last_result"] == "up_to_date"
    assert datetime.fromisoformat(done["last_run_at"]) >= due
    assert datetime.fromisoformat(done["next_run_at"]) == due + timedelta(days=1)
    assert snapshot(svc["name"]) == before  # same containers, same start times: nothing restarted
    runs = client.get(f"/api/schedules/{schedule['id']}/runs").json()
    assert len(runs) == 1
    run = runs[0]
    assert (run["trigger"], run["actor"], run["result"], run["schedule_id"]) == \
        ("schedule", "scheduler", "up_to_date", schedule["id"])
    assert run["images"] == [{"service": svc["name"], "image": repo.ref, "old_id": v1, "new_id": v1,
                              "changed": False}]
    [entry] = audits(core, svc["id"])
    assert entry.actor_id == "scheduler" and entry.outcome == "ok"
    assert entry.details["result"] == "up_to_date" and entry.details["schedule_id"] == schedule["id"]
    assert entry.details["images"] == [{"service": svc["name"], "image": repo.ref, "old_id": v1, "new_id": v1}]
    assert listed(client, svc["id"])["update_available"] is False


def test_check_reports_then_update_applies_and_cleans_up_the_image_before_last(client, core, unique_name,
                                                                               upstream, processes):
    repo = upstream("upd")
    v1 = repo.build(IMAGE_V1)
    repo.publish(v1)
    svc = create_service(client, unique_name("upd"), repo.ref)
    before = snapshot(svc["name"])
    # A gate longer than redis-py's 5 s socket timeout: the API must still wait for the result.
    processes.worker(SDMD_HEALTH_GRACE_SECONDS="6")
    assert update(client, svc["id"], "check")["result"] == "up_to_date"

    v2 = repo.publish_remote_only(repo.build(IMAGE_V2), keep_local=v1)
    assert image_id(v2) is None  # this host has never seen v2

    check = update(client, svc["id"], "check")
    assert check["result"] == "update_available" and repo.ref in check["reason"]
    assert check["images"][0]["changed"] is True
    assert (check["images"][0]["old_id"], check["images"][0]["new_id"]) == (v1, v2)
    assert snapshot(svc["name"]) == before
    assert image_id(repo.ref) == v1  # the tag still names what runs: a later `compose up` changes nothing
    assert listed(client, svc["id"])["update_available"] is True

    started = time.monotonic()
    applied = update(client, svc["id"])
    assert applied["result"] == "updated", applied
    assert time.monotonic() - started > 6
    after = snapshot(svc["name"])
    assert [image for image, state, _ in after.values()] == [v2] and set(after).isdisjoint(before)
    assert all(state == "running" for _, state, _ in after.values())
    assert image_id(v1) == v1  # the previous version is kept until the next successful update
    assert listed(client, svc["id"])["update_available"] is False

    v3 = repo.publish_remote_only(repo.build(IMAGE_V1, "ENV SDMD_TEST_VERSION=3"), keep_local=v2)
    again = update(client, svc["id"])
    assert again["result"] == "updated", again
    assert [image for image, _, _ in snapshot(svc["name"]).values()] == [v3]
    assert image_id(v1) is None  # ... and removed then
    assert image_id(v2) == v2

    entries = audits(core, svc["id"])
    assert [e.details["result"] for e in entries] == ["up_to_date", "update_available", "updated", "updated"]
    assert entries[2].details["images"][0]["old_id"] == v1 and entries[2].details["images"][0]["new_id"] == v2
    assert all(e.actor_id != "scheduler" and e.outcome == "ok" for e in entries)


# Without init, a missing entrypoint makes `docker compose up` itself fail, after the old container
# was already removed: that too must end in a rollback.
NO_INIT = {"command": ["sleep", "3600"], "stop_grace_period": "1s"}


@pytest.mark.parametrize(("broken", "spec", "reason"), [
    ('ENTRYPOINT ["false"]', None, "exit code 1"),
    ('HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD ["false"]', None, "is unhealthy"),
    ('ENTRYPOINT ["/nonexistent"]', NO_INIT, "compose up failed: Error response from daemon"),
], ids=["exits", "unhealthy", "cannot-start"])
def test_a_broken_new_image_is_rolled_back(client, core, unique_name, upstream, processes, broken, spec, reason):
    repo = upstream("bad")
    v1 = repo.publish(IMAGE_V1)
    svc = create_service(client, unique_name("bad"), repo.ref, spec)
    processes.worker()
    bad = repo.publish_remote_only(repo.build(IMAGE_V1, broken), keep_local=IMAGE_V1)

    run = update(client, svc["id"])
    assert run["result"] == "rolled_back", run
    assert reason in run["reason"]
    assert (run["images"][0]["old_id"], run["images"][0]["new_id"]) == (v1, bad)
    after = snapshot(svc["name"])
    assert [(image, state) for image, state, _ in after.values()] == [(v1, "running")]
    assert image_id(repo.ref) == v1
    assert image_id(bad) is None  # the failed image is not kept
    assert listed(client, svc["id"])["update_available"] is True
    [entry] = audits(core, svc["id"])
    assert entry.outcome == "error" and entry.details["result"] == "rolled_back"
    assert entry.details["images"][0]["new_id"] == bad

    if "HEALTHCHECK" in broken:  # the same gate lets a healthy image through
        good = repo.publish_remote_only(
            repo.build(IMAGE_V2, 'HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD ["true"]'),
            keep_local=IMAGE_V1)
        assert update(client, svc["id"])["result"] == "updated"
        [(container, (image, state, _))] = snapshot(svc["name"]).items()
        assert (image, state) == (good, "running")
        assert docker_api().inspect_container(container)["State"]["Health"]["Status"] == "healthy"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_registry_leaves_the_service_untouched(client, core, unique_name, processes, name_prefix):
    ref = f"127.0.0.1:{_closed_port()}/sdmd-test/{name_prefix}-down:1"
    docker("tag", IMAGE_V1, ref)
    try:
        svc = create_service(client, unique_name("down"), ref)
        before = snapshot(svc["name"])
        processes.worker()
        for mode in ("update", "check"):
            run = update(client, svc["id"], mode)
            assert run["result"] == "error", run
            assert "registry check failed, service untouched" in run["reason"] and ref in run["reason"]
        assert snapshot(svc["name"]) == before
        assert image_id(ref) == image_id(IMAGE_V1)
        assert [e.outcome for e in audits(core, svc["id"])] == ["error", "error"]
        assert listed(client, svc["id"])["update_available"] is False
    finally:
        docker("rmi", ref)


def test_two_runs_at_once_one_is_skipped(client, core, unique_name, upstream, processes):
    repo = upstream("race")
    repo.publish(IMAGE_V1)
    svc = create_service(client, unique_name("race"), repo.ref)
    v2 = repo.publish(IMAGE_V2)
    repo.set_local(IMAGE_V1)
    processes.worker(count=2)
    jobs = []
    for _ in range(2):
        r = client.post(f"/api/services/{svc['id']}/update?wait=0")
        assert r.status_code == 202 and r.headers["location"] == f"/api/updates/jobs/{r.json()['job_id']}"
        jobs.append(r.json()["job_id"])

    def finished():
        views = [client.get(f"/api/updates/jobs/{job}").json() for job in jobs]
        return views if all(v["status"] == "finished" for v in views) else None

    views = wait_until(finished, timeout=90, interval=0.3, what=f"both runs\n{processes.logs()}")
    results = sorted(v["run"]["result"] for v in views)
    assert results == ["skipped", "updated"], views
    skipped = next(v["run"] for v in views if v["run"]["result"] == "skipped")
    assert "in progress" in skipped["reason"] and skipped["images"] == []
    assert [image for image, _, _ in snapshot(svc["name"]).values()] == [v2]
    assert sorted(e.details["result"] for e in audits(core, svc["id"])) == ["skipped", "updated"]
