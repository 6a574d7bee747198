"""Containers that stop on their own: the live model shows it within 2 s.

A natural exit sends only `die` (no `stop` or `kill` follows), and Docker 20.10 logs `die` before it
saves the container's new state (network and mount cleanup come in between, seconds on a loaded
machine), so a listing taken for that event can still say `running`. These run on the local host,
compared per project (other tests' containers come and go there).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sdmd.core import Core
from sdmd.hosts.feed import ContainerChange
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import IMAGE_V1, docker_api, wait_until

CONVERGE = 2.0  # seconds: the model matches `docker ps -a` within this
EXITED = re.compile(r"^Exited \((-?\d+)\)")


@pytest.fixture
def live(core: Core):
    return core.start_live_model()


@pytest.fixture
def project(unique_name, tmp_path: Path) -> Iterator[Any]:
    """`docker compose up -d` by hand on the local host (behind sdmd's back); always taken down."""
    made: list[str] = []

    def up(services: dict[str, dict[str, str]]) -> str:
        name = unique_name("exit")
        lines = ["networks: {n1: {labels: {sdmd.test: '1'}}, n2: {labels: {sdmd.test: '1'}}, "
                 "n3: {labels: {sdmd.test: '1'}}}", "services:"]
        for service, spec in services.items():
            # Several networks and a published port: Docker's cleanup between `die` and saving the
            # new state (endpoints, iptables) then takes about a second, as on a busy host.
            lines += [f"  {service}:", f"    image: {IMAGE_V1}", "    labels: {sdmd.test: '1'}",
                      "    networks: [default, n1, n2, n3]", "    ports: ['127.0.0.1::80']"]
            lines += [f"    {key}: {value}" for key, value in spec.items()]
        directory = tmp_path / name
        directory.mkdir()
        (directory / "compose.yaml").write_text("\n".join(lines) + "\n")
        made.append(name)
        _compose(name, directory, "up", "-d", "--quiet-pull")
        return name

    yield up
    for name in made:
        with contextlib.suppress(Exception):
            _compose(name, tmp_path / name, "down", "-v", "-t", "0")


def _compose(name: str, directory: Path, *args: str) -> None:
    subprocess.run(["docker", "compose", "-p", name, "--project-directory", str(directory), *args],
                   check=True, capture_output=True, text=True, timeout=120)


def _states(containers: list[dict[str, Any]]) -> dict[str, tuple[str, int | None]]:
    """{compose service: (state, exit code)}: what `docker ps -a` says, status texts aside."""
    out = {}
    for c in containers:
        match = EXITED.match(c.get("Status") or "")
        out[c["Labels"]["com.docker.compose.service"]] = (c["State"], int(match.group(1)) if match else None)
    return out


def _docker(name: str) -> dict[str, tuple[str, int | None]]:
    api = docker_api()
    try:
        return _states(api.containers(all=True, filters={"label": f"com.docker.compose.project={name}"}))
    finally:
        api.close()


def _model(core: Core, name: str) -> dict[str, tuple[str, int | None]]:
    snap = core.live.snapshot("local") if core.live else None
    return _states(snap.project(name)) if snap is not None else {}


def _settles_on(core: Core, name: str, expected: dict[str, tuple[str, int | None]], timeout: float) -> None:
    """Docker reaches `expected`; then the model must match Docker within CONVERGE."""
    wait_until(lambda: _docker(name) == expected, timeout=timeout, interval=0.05, what=f"docker shows {expected}")
    wait_until(lambda: _model(core, name) == _docker(name), timeout=CONVERGE, interval=0.02,
               what="the model matches docker ps -a")


def test_a_natural_exit_and_a_killed_process_show_as_exited(core, live, project):
    name = project({
        "done": {"command": "sh -c 'sleep 1'"},  # exit 0, nothing but `die`
        "failed": {"command": "sh -c 'sleep 1; exit 3'"},
        # SIGKILL, as the OOM killer sends: 137 (init: true, since PID 1 itself cannot be killed from inside)
        "oom": {"command": "sh -c 'sleep 1; kill -9 $$$$'", "init": "true"},
        "stays": {"command": "sleep 3600", "init": "true"},
    })
    wait_until(lambda: _model(core, name).get("stays") == ("running", None), timeout=CONVERGE, interval=0.02,
               what="the project in the model")
    _settles_on(core, name, {"done": ("exited", 0), "failed": ("exited", 3), "oom": ("exited", 137),
                             "stays": ("running", None)}, timeout=30)


def test_a_restart_policy_loop_converges(core, live, project):
    feed = live.feed.subscribe_queue()
    try:
        name = project({"loop": {"command": "sh -c 'sleep 0.3; exit 1'", "restart": "on-failure:2"}})
        # Three runs (the first and two restarts), each ending in `die`; then it stays exited.
        _settles_on(core, name, {"loop": ("exited", 1)}, timeout=60)
        died = []
        while (change := feed.get(timeout=0.1)) is not None:
            if isinstance(change, ContainerChange) and change.project == name and change.action == "die":
                died.append(change)
        assert len(died) == 3 and {c.exit_code for c in died} == {1}
        assert all(c.container is not None and c.container["State"] != "running" for c in died)
    finally:
        feed.close()
