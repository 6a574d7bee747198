"""The live model: it converges after changes behind sdmd's back, and a dead or hung host never slows the list."""

from __future__ import annotations

import time

import pytest

from sdmd.hosts.feed import ContainerChange, HostStateChange
from tests.hosts.support import add_tls_host, host_state, listed, model_matches_docker, remote_compose, service_body
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import IMAGE_V1, SLEEPER, wait_until

pytestmark = pytest.mark.xdist_group("remote_hosts")

CONVERGE = 2.0  # seconds: the model matches `docker ps -a` within this after a change behind sdmd's back


def _converged(core, host, remote, what: str) -> None:
    wait_until(lambda: model_matches_docker(core, host, remote), timeout=CONVERGE, interval=0.05, what=what)


def test_the_model_matches_docker_after_changes_behind_sdmds_back(client, core, fault_host, unique_name, tmp_path):
    add_tls_host(client, fault_host, "side")
    _converged(core, "side", fault_host, "the first listing")
    name = unique_name("hand")
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  a:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n"
        f"  b:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n")
    remote_compose(fault_host, name, tmp_path, "up", "-d")  # docker compose up by hand
    _converged(core, "side", fault_host, "compose up by hand")
    assert listed(client, name)["status"] == "running"

    api = fault_host.api()
    try:
        victim = api.containers(filters={"label": f"com.docker.compose.project={name}"})[0]
        api.remove_container(victim["Id"], force=True)  # docker rm -f
        _converged(core, "side", fault_host, "docker rm -f")
        assert len(listed(client, name)["containers"]) == 1
        other = api.containers(filters={"label": f"com.docker.compose.project={name}"})[0]
        api.stop(other["Id"], timeout=1)
        assert listed(client, name)["status"] == "stopped"  # read right after: the stop's events are in
    finally:
        api.close()

    fault_host.restart_dockerd()  # a daemon crash and restart: the stream breaks, the model re-lists
    _converged(core, "side", fault_host, "a daemon restart")
    remote_compose(fault_host, name, tmp_path, "up", "-d")
    _converged(core, "side", fault_host, "compose up after the restart")
    assert listed(client, name)["status"] == "running"


def _fast_lists(client, rounds: int = 5) -> list[float]:
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        r = client.get("/api/services")
        took.append(time.perf_counter() - started)
        assert r.status_code == 200, r.text
    return took


def test_a_dead_then_hung_host_never_slows_the_list(client, core, fault_host, unique_name):
    add_tls_host(client, fault_host, "flaky")
    far, near = unique_name("far"), unique_name("near")
    # restart: always, so the containers come back with the daemon (a crashed dockerd does not keep them).
    assert client.post("/api/services", json=service_body(far, "flaky", **SLEEPER, restart="always")).status_code == 201
    assert client.post("/api/services", json=service_body(near, "local")).status_code == 201
    timeout = core.settings.host_timeout_seconds  # what one call to the host may cost; the list pays none of it

    fault_host.kill_dockerd()
    state = wait_until(lambda: (h := host_state(client, "flaky"))["state"] == "unreachable" and h, timeout=10,
                       what="a killed daemon reported unreachable")
    assert state["last_error"] and state["state_since"]
    assert max(_fast_lists(client)) < timeout
    view = listed(client, far)
    assert (view["status"], view["host_state"]) == ("unknown", "unreachable") and view["host_error"]
    assert listed(client, near)["status"] == "running"  # the other hosts are unaffected
    assert client.post(f"/api/services/{view['id']}/restart").status_code == 503

    fault_host.start_dockerd()
    wait_until(lambda: host_state(client, "flaky")["state"] == "connected", timeout=10, what="reconnected")
    _converged(core, "flaky", fault_host, "the daemon back")
    assert listed(client, far)["status"] == "running"

    fault_host.freeze()  # SIGSTOP: connections are accepted, nothing ever answers
    try:
        wait_until(lambda: host_state(client, "flaky")["state"] != "connected", timeout=10,
                   what="a hung daemon noticed")
        assert max(_fast_lists(client)) < timeout
        wait_until(lambda: host_state(client, "flaky")["state"] == "unreachable", timeout=15,
                   what="a hung daemon reported unreachable")
        assert max(_fast_lists(client)) < timeout
        assert listed(client, far)["status"] == "unknown"
        started = time.perf_counter()
        assert client.post(f"/api/services/{view['id']}/restart").status_code == 503  # fails fast, no hang
        assert time.perf_counter() - started < timeout
    finally:
        fault_host.thaw()
    wait_until(lambda: host_state(client, "flaky")["state"] == "connected", timeout=15, what="thawed")
    _converged(core, "flaky", fault_host, "the daemon thawed")
    assert listed(client, far)["status"] == "running"


def test_the_change_feed_delivers_docker_events_and_host_states(client, core, fault_host, unique_name):
    add_tls_host(client, fault_host, "fed")
    name = unique_name("feed")
    assert client.post("/api/services", json=service_body(name, "fed")).status_code == 201
    feed = core.live.feed.subscribe_queue()
    try:
        api = fault_host.api()
        try:
            [container] = api.containers(filters={"label": f"com.docker.compose.project={name}"})
            api.kill(container["Id"])
        finally:
            api.close()
        died = _next(feed, lambda c: isinstance(c, ContainerChange) and c.action == "die")
        assert (died.host, died.project, died.container_id) == ("fed", name, container["Id"])
        assert died.exit_code == 137 and died.event["Actor"]["Attributes"]["name"] == container["Names"][0][1:]
        assert died.container is not None and died.container["State"] == "exited"
        assert died.previous is not None and died.previous["State"] == "running"

        fault_host.kill_dockerd()
        lost = _next(feed, lambda c: isinstance(c, HostStateChange) and c.host == "fed")
        assert (lost.previous, lost.state) == ("connected", "reconnecting") and lost.error
        gone = _next(feed, lambda c: isinstance(c, HostStateChange) and c.host == "fed" and c.state == "unreachable")
        assert gone.previous == "reconnecting"
        fault_host.start_dockerd()
        back = _next(feed, lambda c: isinstance(c, HostStateChange) and c.host == "fed" and c.state == "connected")
        assert back.error is None
    finally:
        feed.close()
    assert feed.callback not in [s.callback for s in core.live.feed._subscribers]


def _next(feed, predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        change = feed.get(timeout=0.2)
        if change is not None and predicate(change):
            return change
    raise AssertionError("no such change arrived")
