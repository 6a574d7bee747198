"""Helpers shared by the tests: real Docker, real registry, real databases; everything labelled and removed."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable
from typing import Any

import docker

REGISTRY = "127.0.0.1:5000"
APP_IMAGE = f"{REGISTRY}/sdmd-test/app"
IMAGE_V1 = f"{APP_IMAGE}:1"
IMAGE_V2 = f"{APP_IMAGE}:2"
PG_ADMIN_URL = os.environ.get("SDMD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEST_LABEL = "sdmd.test"

# A long-running busybox web server; init: true because busybox as PID 1 ignores SIGTERM.
HTTPD = {"command": ["httpd", "-f", "-p", "8080", "-h", "/www"], "init": True}
SLEEPER = {"command": ["sleep", "3600"], "init": True}

RUN_ID = "t" + secrets.token_hex(3)


def docker_api() -> docker.APIClient:
    return docker.APIClient(version="auto", timeout=30)


def remove_projects(prefix: str) -> None:
    """Remove every container, network and volume of compose projects named prefix*."""
    api = docker_api()
    try:
        for c in api.containers(all=True, filters={"label": "com.docker.compose.project"}):
            if c["Labels"]["com.docker.compose.project"].startswith(prefix):
                api.remove_container(c["Id"], force=True, v=True)
        for n in api.networks(filters={"label": "com.docker.compose.project"}):
            if n["Labels"].get("com.docker.compose.project", "").startswith(prefix):
                api.remove_network(n["Id"])
        for v in (api.volumes(filters={"label": "com.docker.compose.project"}) or {}).get("Volumes") or []:
            if (v.get("Labels") or {}).get("com.docker.compose.project", "").startswith(prefix):
                api.remove_volume(v["Name"], force=True)
    finally:
        api.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def compose(project: str, directory: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "compose", "-p", project, "--project-directory", directory, *args],
                          capture_output=True, text=True, check=True, timeout=120)
