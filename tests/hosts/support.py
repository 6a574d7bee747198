"""Helpers for host tests: adding the namespace hosts through the API, and looking at them directly."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hosts.remote import RemoteHost
from tests.support import IMAGE_V1, SLEEPER

pytestmark_remote = pytest.mark.xdist_group("remote_hosts")


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> Iterator[str]:
    """The heavier host tests run on SQLite only; tests/hosts/test_api.py covers PostgreSQL too."""
    yield f"sqlite:///{tmp_path / 'sdmd.db'}"


def fingerprint(public_line: str) -> str:
    blob = public_line.split()[1]
    return "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(blob)).digest()).decode().rstrip("=")


def add_tls_host(client, remote: RemoteHost, name: str, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/hosts", json={"name": name, "url": remote.tcp_url, "tls": remote.tls_material(), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def add_ssh_host(client, remote: RemoteHost, name: str, *, pin: bool = True, **extra: Any) -> dict[str, Any]:
    assert remote.ssh_client_key is not None and remote.ssh_host_key is not None
    body = {"name": name, "url": remote.ssh_url, "ssh_key": remote.ssh_client_key.private, **extra}
    if pin:
        body["fingerprint"] = fingerprint(remote.ssh_host_key.public)
    r = client.post("/api/hosts", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def service_body(name: str, host: str, **spec: Any) -> dict[str, Any]:
    return {"name": name, "host": host, "image": IMAGE_V1, **(spec or SLEEPER)}


def remote_containers(remote: RemoteHost, project: str | None = None) -> list[dict[str, Any]]:
    """`docker ps -a` on the namespace's daemon, asked directly (behind sdmd's back)."""
    api = remote.api()
    try:
        filters = {"label": f"com.docker.compose.project={project}" if project else "com.docker.compose.project"}
        return api.containers(all=True, filters=filters)
    finally:
        api.close()


def remote_compose(remote: RemoteHost, project: str, directory: Path, *args: str) -> None:
    subprocess.run(["docker", "compose", "-p", project, "--project-directory", str(directory), *args],
                   env=remote.docker_env(), check=True, capture_output=True, text=True, timeout=120)


def listed(client, name: str) -> dict[str, Any]:
    services = client.get("/api/services").json()
    return next(s for s in services if s["name"] == name)


def host_state(client, name: str) -> dict[str, Any]:
    return next(h for h in client.get("/api/hosts").json() if h["name"] == name)


def timed_get(client, path: str) -> tuple[float, Any]:
    started = time.perf_counter()
    r = client.get(path)
    assert r.status_code == 200, r.text
    return time.perf_counter() - started, r.json()


def model_matches_docker(core, host: str, remote: RemoteHost) -> bool:
    """The live model's containers of `host` equal what that daemon lists (ids, state, status texts aside)."""
    snap = core.live.snapshot(host)
    if snap is None or snap.state != "connected":
        return False
    ours = {cid: (c["State"], c.get("ImageID")) for cid, c in snap.containers.items()}
    theirs = {c["Id"]: (c["State"], c.get("ImageID")) for c in remote_containers(remote)}
    return ours == theirs
