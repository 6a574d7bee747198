"""Redis down (issue 19): reads work, the update endpoints answer 503 at once, and the schedules'
jobs come back when Redis does, even those saved while it was away. A redis-server of the test's own
(it is stopped and started again), a real `sdmd scheduler` and `sdmd worker`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq_scheduler import Scheduler

from sdmd.config import Settings
from tests.schedules.conftest import Processes
from tests.support import IMAGE_V1, wait_until

pytestmark = pytest.mark.one_database


class RedisServer:
    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="sdmd-crash-redis-")
        self.socket = os.path.join(self.directory, "redis.sock")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", self.directory], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_until(lambda: os.path.exists(self.socket) and Redis(unix_socket_path=self.socket).ping(), timeout=15,
                   what="private redis-server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # down hard: no goodbye to its clients
            self.proc.wait(timeout=10)

    def client(self) -> Redis:
        return Redis(unix_socket_path=self.socket)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_server: RedisServer) -> Settings:
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False, redis_url=f"unix://{redis_server.socket}", scheduler_interval_seconds=0.5,
                    # Far away: the jobs must come back because Redis did, not because a periodic round ran.
                    reconcile_interval_seconds=3600.0, update_wait_seconds=60.0)


def scheduled(server: RedisServer) -> set[str]:
    try:
        return {k.decode() for k in server.client().zrange(Scheduler.scheduled_jobs_key, 0, -1)}
    except Exception:
        return set()


def test_redis_down_then_back(client, core, settings, redis_server, unique_name, tmp_path):
    name = unique_name("r")
    text = f"services:\n  app:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n" \
           f"    network_mode: none\n"
    r = client.post(f"/api/services?name={name}", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    service_id = r.json()["id"]
    first = client.post("/api/schedules", json={"service_id": service_id, "frequency": "daily",
                                                "time_of_day": "03:00"}).json()["id"]
    procs = Processes(settings, redis_server.client(), tmp_path)
    try:
        procs.scheduler()
        procs.worker()
        wait_until(lambda: any(first in j for j in scheduled(redis_server)), what="the first schedule's job")

        redis_server.stop()
        # Reads do not need Redis.
        assert client.get("/api/services").status_code == 200
        assert client.get(f"/api/services/{service_id}").json()["status"] == "running"
        assert [s["id"] for s in client.get("/api/schedules").json()] == [first]
        # The update endpoints say so at once.
        for method, path in (("POST", f"/api/services/{service_id}/update?mode=check"),
                             ("GET", "/api/updates/jobs/0123456789")):
            started = time.monotonic()
            r = client.request(method, path)
            assert time.monotonic() - started < 1.0
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "job queue unavailable" and "Redis" in r.json()["details"]
        # A schedule saved meanwhile is kept; its job follows when Redis is back.
        r = client.post("/api/schedules", json={"service_id": service_id, "frequency": "weekly",
                                                "time_of_day": "04:00", "day_of_week": "Monday"})
        assert r.status_code == 201, r.text
        second = r.json()["id"]

        redis_server.start()  # empty: no persistence, as after losing its volume
        wait_until(lambda: {first, second} <= {j.split("-")[2] for j in scheduled(redis_server)}, timeout=30,
                   what=f"both schedules' jobs back in Redis\n{procs.logs()}")
        # The worker found Redis again too: a check runs to the end.
        r = wait_until(lambda: (resp := client.post(f"/api/services/{service_id}/update?mode=check&wait=60"))
                       .status_code == 200 and resp, timeout=60, interval=1,
                       what=f"an update check after Redis returned\n{procs.logs()}")
        assert r.json()["status"] == "finished" and r.json()["run"]["result"] == "up_to_date", r.json()
    finally:
        procs.stop_all()
