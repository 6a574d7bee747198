"""Real sdmd processes to kill: `sdmd serve` as a child process with SDMD_FAULT set, and checks that
the file, the database mirror, git and the containers agree after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sdmd.config import Settings
from sdmd.core import Core
from tests.support import docker_api, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sdmd_command() -> list[str]:
    script = Path(sys.executable).parent / "sdmd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sdmd.cli"]


def base_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDMD_")}
    env.update({
        "SDMD_DATABASE_URL": settings.resolved_database_url,
        "SDMD_STACKS_DIR": str(settings.stacks_dir),
        "SDMD_DATA_DIR": str(settings.data_dir),
        # The one reconcile round after the restart is the test's (POST /api/gitops/reconcile).
        "SDMD_GITOPS_WATCH": "false",
        "PYTHONUNBUFFERED": "1",
    })
    if settings.redis_url:
        env["SDMD_REDIS_URL"] = settings.resolved_redis_url
    env.update(extra)
    return env


class ApiProcess:
    """`sdmd serve` on a free port; `token` is a session of the test user, minted by the test's Core
    (same database and signing key as the child)."""

    def __init__(self, settings: Settings, token: str, log_dir: Path) -> None:
        self.settings = settings
        self.token = token
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **env: str) -> ApiProcess:
        self.port = free_port()
        self.starts += 1
        log = (self.log_dir / f"api-{self.starts}.log").open("w")
        self.proc = subprocess.Popen([*sdmd_command(), "serve", "--port", str(self.port)],
                                     env=base_env(self.settings, **env), stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._up, timeout=180, what=f"sdmd serve on {self.port}\n{self.logs()}")  # a loaded machine
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"sdmd serve exited with {self.proc.returncode}\n{self.logs()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def client(self, timeout: float = 300.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, headers={"Authorization": f"Bearer {self.token}"})

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        with self.client() as c:
            return c.request(method, path, **kwargs)

    def request_until_killed(self, method: str, path: str, **kwargs) -> None:
        """A request the fault kills the server in the middle of: no answer, and the process died by SIGKILL."""
        try:
            r = self.request(method, path, **kwargs)
        except httpx.HTTPError:
            pass
        else:
            raise AssertionError(f"the request answered {r.status_code} {r.text[:500]}; the fault did not fire")
        assert self.proc is not None
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL, f"exit {self.proc.returncode}\n{self.logs()}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("api-*.log")))


def compose_processes(project: str) -> list[int]:
    """Pids of compose commands still running for `project` (a killed API does not kill its children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"compose" in argv and project.encode() in argv:
            found.append(int(entry.name))
    return found


def compose_up_running(project: str) -> bool:
    """A `compose up` of `project` is running now."""
    for pid in compose_processes(project):
        try:
            if b"up" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                return True
        except OSError:
            continue
    return False


def wait_for_orphans(project: str, timeout: float = 120.0) -> None:
    """What an operator's restart takes anyway: the compose the dead API started finishes first."""
    deadline = time.monotonic() + timeout
    while compose_processes(project):
        if time.monotonic() > deadline:
            raise AssertionError(f"compose of {project} still running after {timeout}s")
        time.sleep(0.2)


def project_containers(project: str) -> list[dict]:
    api = docker_api()
    try:
        return api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    finally:
        api.close()


def git(core: Core, *args: str) -> str:
    return subprocess.run(["git", "-C", str(core.settings.stacks_dir), *args], capture_output=True, text=True,
                          check=True, timeout=30).stdout
