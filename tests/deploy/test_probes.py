"""/healthz and /readyz against real dependencies: the database fixture (SQLite and PostgreSQL), the
machine's Redis and Docker engine, and real sockets that refuse or never answer for the failure cases."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.health.probes import READY_TIMEOUT_SECONDS

REDIS_URL = "redis://127.0.0.1:6379/0"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener that accepts connections and never says a word: a hung dependency."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def probe_client(tmp_path: Path, **overrides) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", **overrides)
    return TestClient(create_app(core=Core(settings)))


def test_healthz_is_public_and_needs_nothing(anonymous_client: TestClient) -> None:
    r = anonymous_client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_is_public_and_reports_each_dependency(anonymous_client: TestClient) -> None:
    r = anonymous_client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready",
                        "checks": {"database": "ok", "docker": "ok", "redis": "not configured"}}


def test_readyz_checks_redis_when_configured(tmp_path: Path, database_url: str) -> None:
    with probe_client(tmp_path, database_url=database_url, redis_url=REDIS_URL) as c:
        r = c.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": "ok", "docker": "ok", "redis": "ok"}


def test_readyz_names_redis_when_it_refuses(tmp_path: Path) -> None:
    with probe_client(tmp_path, redis_url=f"redis://127.0.0.1:{closed_port()}/0") as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    body = r.json()
    assert set(body) == {"error", "details"}
    assert body["error"] == "not ready: redis"
    assert body["details"].startswith("redis: ")
    assert "refused" in body["details"].lower()


def test_readyz_names_the_database_when_it_is_down(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/sdmd"
    with probe_client(tmp_path, database_url=url) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"] == "not ready: database"
    assert r.json()["details"].startswith("database: ")


def test_readyz_names_docker_when_the_daemon_is_unreachable(tmp_path: Path) -> None:
    with probe_client(tmp_path, docker_host=f"unix://{tmp_path}/no-docker.sock") as c:
        started = time.monotonic()
        r = c.get("/readyz")
    assert time.monotonic() - started < 5
    assert r.status_code == 503
    assert r.json()["error"] == "not ready: docker"
    assert "docker:" in r.json()["details"]


def test_readyz_names_every_failed_dependency(tmp_path: Path) -> None:
    with probe_client(tmp_path, docker_host=f"tcp://127.0.0.1:{closed_port()}",
                      redis_url=f"redis://127.0.0.1:{closed_port()}/0") as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"] == "not ready: docker, redis"
    details = r.json()["details"]
    assert "docker: " in details and "; redis: " in details


def test_readyz_answers_in_time_when_a_dependency_hangs(tmp_path: Path, silent_port: int) -> None:
    # Docker's client would wait 5 s for this listener; the probe gives up at its own deadline.
    with probe_client(tmp_path, docker_host=f"tcp://127.0.0.1:{silent_port}") as c:
        started = time.monotonic()
        r = c.get("/readyz")
        elapsed = time.monotonic() - started
    assert r.status_code == 503
    assert r.json()["error"] == "not ready: docker"
    assert r.json()["details"] == f"docker: no answer within {READY_TIMEOUT_SECONDS:g}s"
    assert READY_TIMEOUT_SECONDS - 0.5 < elapsed < READY_TIMEOUT_SECONDS + 1.5
