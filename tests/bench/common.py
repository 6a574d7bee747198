"""Shared by the benchmarks: a real sdmd server in a subprocess, timing helpers, raw Docker access."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

DOCKER_SOCKET = "/var/run/docker.sock"
ADMIN_EMAIL = "bench@example.com"
ADMIN_PASSWORD = "bench-" + os.urandom(6).hex()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def docker_raw() -> httpx.Client:
    """Docker's own HTTP API on the unix socket: the baseline the benchmarks compare against."""
    return httpx.Client(transport=httpx.HTTPTransport(uds=DOCKER_SOCKET), base_url="http://docker")


@contextmanager
def sdmd_server(extra_env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    with tempfile.TemporaryDirectory(prefix="sdmd-bench-") as tmp, open(Path(tmp) / "server.log", "w") as log:
        port = free_port()
        env = {**os.environ, "SDMD_DATA_DIR": f"{tmp}/data", "SDMD_STACKS_DIR": f"{tmp}/stacks",
               "SDMD_ADMIN_EMAIL": ADMIN_EMAIL, "SDMD_ADMIN_PASSWORD": ADMIN_PASSWORD, **(extra_env or {})}
        proc = subprocess.Popen([sys.executable, "-m", "sdmd.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((Path(tmp) / "server.log").read_text()[-3000:])
                time.sleep(0.2)
            login = client.post("/auth/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            if login.status_code == 200:
                client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            yield client
        finally:
            client.close()
            proc.terminate()
            proc.wait(timeout=30)


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"
