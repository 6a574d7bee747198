"""PostgreSQL restarting under requests (issue 19): 503 while it is away, then the same sdmd process
answers again, with no restart. A PostgreSQL of the test's own (initdb in a temp dir, its own port)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.crash.support import free_port
from tests.support import IMAGE_V1, wait_until

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/usr/bin"))


class PrivatePostgres:
    """Run as the postgres user (initdb refuses root); data and socket in a temp dir."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sdmd-crash-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "--no-sync")

    def _as_postgres(self, *cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                          "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def remove(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.remove()


@pytest.fixture
def database_url(private_pg: PrivatePostgres) -> str:
    return private_pg.url


def test_postgres_restart_gives_503_then_recovers(client, core, private_pg, unique_name):
    assert client.get("/api/services").status_code == 200
    codes: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            codes.append(client.get("/api/services").status_code)
            time.sleep(0.05)

    reader = threading.Thread(target=hammer)
    reader.start()
    try:
        time.sleep(0.3)
        private_pg.stop()
        # While it is down: a clear 503, at once; a write changes nothing (no folder, no containers).
        started = time.monotonic()
        r = client.get("/api/services")
        assert time.monotonic() - started < 2
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "database unavailable" and r.headers["retry-after"]
        name = unique_name("p")
        r = client.post(f"/api/services?name={name}", content="services:\n  app:\n    image: x\n",
                        headers={"Content-Type": "application/yaml"})
        assert r.status_code == 503, r.text
        assert not core.stacks.directory(name).exists()
        private_pg.start()
        wait_until(lambda: codes and codes[-1] == 200, timeout=30, what="requests to succeed again")
    finally:
        stop.set()
        reader.join(timeout=30)
    assert set(codes) <= {200, 503}, sorted(set(codes))
    assert 503 in codes and codes[-1] == 200
    # The same process and pool write again too: the refused create now goes through.
    text = f"services:\n  app:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n" \
           f"    network_mode: none\n"
    r = client.post(f"/api/services?name={name}", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    with core.db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM docker_service_configs")).scalar_one() == 1
