"""Fixtures for tests on real second hosts (see tests/hosts/remote.py for what they are made of).

- `tls_host`, `ssh_host`: one dockerd each, in a network namespace of the session's own, made once per
  session (the first test that asks) and torn down at its end. Every test module using them carries
  `pytest.mark.xdist_group("remote_hosts")` and the suite runs with `--dist loadgroup` (pyproject.toml),
  so exactly one xdist worker makes them; names and addresses are unique anyway.
- `fault_host`: a fresh one per test, for tests that kill or freeze its daemon.
- After every test, whatever compose made on the shared hosts is removed.
- `settings`: short intervals for the live model, so faults show within seconds (timeouts stay loose:
  the machine is shared and often loaded).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdmd.config import Settings
from tests.hosts.remote import RemoteHost, sweep_stale

_started: list[RemoteHost] = []


@pytest.fixture(scope="session")
def remote_sweep() -> None:
    """Leftovers of a run that crashed (its owner process is gone) go first."""
    sweep_stale()


def _start(label: str, *, ssh: bool) -> RemoteHost:
    host = RemoteHost(label=label, ssh=ssh).start()
    _started.append(host)
    return host


@pytest.fixture(scope="session")
def tls_host(remote_sweep: None) -> Iterator[RemoteHost]:
    host = _start("tls", ssh=False)
    try:
        yield host
    finally:
        host.teardown()


@pytest.fixture(scope="session")
def ssh_host(remote_sweep: None) -> Iterator[RemoteHost]:
    host = _start("ssh", ssh=True)
    try:
        yield host
    finally:
        host.teardown()


@pytest.fixture
def fault_host(remote_sweep: None) -> Iterator[RemoteHost]:
    host = _start("fault", ssh=False)
    try:
        yield host
    finally:
        host.teardown()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for host in _started:  # normally done by the fixtures already; this covers an interrupted session
        with contextlib.suppress(Exception):
            host.teardown()


@pytest.fixture(autouse=True)
def _clean_remote_projects() -> Iterator[None]:
    yield
    for host in _started:
        if "dockerd" not in host.procs or host.procs["dockerd"].poll() is not None:
            continue
        with contextlib.suppress(Exception):
            host.thaw()
            api = host.api(timeout=20)
            try:
                for c in api.containers(all=True, filters={"label": "com.docker.compose.project"}):
                    api.remove_container(c["Id"], force=True, v=True)
                for n in api.networks(filters={"label": "com.docker.compose.project"}):
                    api.remove_network(n["Id"])
                for v in (api.volumes(filters={"label": "com.docker.compose.project"}) or {}).get("Volumes") or []:
                    api.remove_volume(v["Name"], force=True)
            finally:
                api.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False, host_timeout_seconds=3.0, host_ping_seconds=0.5,
                    host_unreachable_seconds=3.0, host_backoff_max_seconds=0.5, docker_timeout_seconds=5.0,
                    ssh_connect_timeout_seconds=10.0)
