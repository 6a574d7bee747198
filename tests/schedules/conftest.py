"""Fixtures for schedules and updates: a private redis-server, real `sdmd worker` / `sdmd scheduler`
processes, and test-private image repositories on the shared registry (127.0.0.1:5000)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker

from sdmd.config import Settings
from tests.schedules.support import Upstream
from tests.support import wait_until

_databases = itertools.count(1)
REDIS_DATABASES = 1024


@pytest.fixture(scope="session")
def redis_socket() -> Iterator[str]:
    """A redis-server of our own on a unix socket, so no test touches anyone else's Redis."""
    directory = tempfile.mkdtemp(prefix="sdmd-redis-")
    socket = os.path.join(directory, "redis.sock")
    proc = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--databases", str(REDIS_DATABASES), "--dir", directory,
         "--logfile", os.path.join(directory, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.exists(socket) and Redis(unix_socket_path=socket).ping(), timeout=15,
                   what="private redis-server")
        yield socket
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis_url(redis_socket: str) -> str:
    """A Redis database of this test's own (the server has many), emptied before use."""
    db = next(_databases) % REDIS_DATABASES
    url = f"unix://{redis_socket}?db={db}"
    Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    # Long enough for the blocking XREAD in job.latest_result(timeout=...) (redis-py's default is 5 s).
    conn = Redis.from_url(redis_url, socket_timeout=120)
    yield conn
    conn.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    # Overrides the suite's settings: the same database and folders, plus Redis and short gates.
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, health_grace_seconds=1.0, health_timeout_seconds=20.0,
                    scheduler_interval_seconds=0.5, reconcile_interval_seconds=1.0, update_wait_seconds=90.0)


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "SDMD_DATABASE_URL": settings.resolved_database_url,
        "SDMD_STACKS_DIR": str(settings.stacks_dir),
        "SDMD_DATA_DIR": str(settings.data_dir),
        "SDMD_REDIS_URL": settings.resolved_redis_url,
        "SDMD_HEALTH_GRACE_SECONDS": str(settings.health_grace_seconds),
        "SDMD_HEALTH_TIMEOUT_SECONDS": str(settings.health_timeout_seconds),
        "SDMD_SCHEDULER_INTERVAL_SECONDS": str(settings.scheduler_interval_seconds),
        "SDMD_RECONCILE_INTERVAL_SECONDS": str(settings.reconcile_interval_seconds),
        "SDMD_WORKER_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def _sdmd() -> list[str]:
    script = Path(sys.executable).parent / "sdmd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sdmd.cli"]


class Processes:
    """`sdmd worker` and `sdmd scheduler` as real child processes, stopped when the test ends."""

    def __init__(self, settings: Settings, redis: Redis, log_dir: Path) -> None:
        self.settings = settings
        self.redis = redis
        self.log_dir = log_dir
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, command: str, **env: str) -> subprocess.Popen:
        log = self.log_dir / f"{command}-{len(self.procs)}.log"
        proc = subprocess.Popen([*_sdmd(), command], env=process_env(self.settings, **env),
                                stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def worker(self, count: int = 1, **env: str) -> None:
        before = Worker.count(connection=self.redis)
        for _ in range(count):
            self.start("worker", **env)
        wait_until(lambda: Worker.count(connection=self.redis) >= before + count, timeout=30,
                   what=f"{count} worker(s) registered\n{self.logs()}")

    def scheduler(self) -> subprocess.Popen:
        proc = self.start("scheduler")
        wait_until(lambda: self.redis.keys("rq:scheduler_instance:*"), timeout=30,
                   what=f"scheduler registered\n{self.logs()}")
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.procs if log.exists())

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            self.stop(proc)


@pytest.fixture
def processes(settings: Settings, redis: Redis, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(settings, redis, tmp_path)
    yield procs
    procs.stop_all()


@pytest.fixture
def upstream(name_prefix: str) -> Iterator[Callable[[str], Upstream]]:
    """Image repositories of this test's own on the registry; their local images are removed after."""
    made: list[Upstream] = []

    def make(label: str = "img") -> Upstream:
        repo = Upstream(f"{name_prefix}-{label}{len(made)}".lower(), project_prefix=name_prefix)
        made.append(repo)
        return repo

    yield make
    for repo in made:
        repo.cleanup()
