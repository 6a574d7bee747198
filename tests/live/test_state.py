"""State pushed: the hosts' live model forwarded as one event stream; a container killed from the shell
arrives as a `container` event with the service's new status."""

from __future__ import annotations

import subprocess
import time

from tests.live.conftest import TICKER, Live, read_events

SSE = {"Accept": "text/event-stream"}


def test_a_container_killed_from_the_shell_is_pushed(live: Live, unique_name) -> None:
    name = unique_name("k")
    svc = live.create(name, {"app": TICKER, "db": TICKER})
    with live.client() as c, c.stream("GET", "/api/events", headers=SSE) as r:
        assert r.status_code == 200
        events = read_events(r, until="end", limit=60)
        ready = next(events)
        assert ready.event == "ready" and ready.data["hosts"]["local"] == "connected"
        subprocess.run(["docker", "kill", f"{name}-app-1"], check=True, capture_output=True, timeout=30)
        killed = time.monotonic()
        for e in events:
            if e.event == "container" and e.data["project"] == name and e.data["container"] \
                    and e.data["container"]["state"] == "exited":
                break
        assert time.monotonic() - killed < 5  # the bench and the browser test measure the real figure
    assert e.data["service_id"] == svc["id"] and e.data["host"] == "local"
    assert e.data["container"]["name"] == f"{name}-app-1" and e.data["exit_code"] == 137
    assert e.data["service_status"] == "partial"
    assert {m["service"]: m["state"] for m in e.data["containers"]} == {"app": "exited", "db": "running"}


def test_created_and_removed_containers_and_unmanaged_ids(live: Live, unique_name, tmp_path) -> None:
    name = unique_name("u")
    with live.client() as c, c.stream("GET", "/api/events", headers=SSE) as r:
        events = read_events(r, until="end", limit=60)
        next(events)
        (tmp_path / "compose.yaml").write_text(
            "services:\n  a:\n    image: 127.0.0.1:5000/sdmd-test/app:1\n    command: [sleep, '300']\n"
            "    init: true\n")
        subprocess.run(["docker", "compose", "-p", name, "--project-directory", str(tmp_path), "up", "-d"],
                       check=True, capture_output=True, timeout=60)
        running = next(e for e in events if e.event == "container" and e.data["project"] == name
                       and e.data["service_status"] == "running")
        assert running.data["service_id"] == f"ext_{name}"
        subprocess.run(["docker", "compose", "-p", name, "--project-directory", str(tmp_path), "down"],
                       check=True, capture_output=True, timeout=60)
        gone = next(e for e in events if e.event == "container" and e.data["project"] == name
                    and e.data["container"] is None)
        assert gone.data["service_status"] == "not_deployed" and gone.data["containers"] == []


def test_a_container_that_exits_on_its_own_is_pushed_as_exited(live: Live, unique_name) -> None:
    """Only a `die` event (no kill, no stop): the model's state, not a guess from the event, says exited."""
    name = unique_name("e")
    live.create(name, {"app": TICKER, "once": {**TICKER, "command": ["sh", "-c", "sleep 3; exit 3"],
                                               "restart": "no"}})
    with live.client() as c, c.stream("GET", "/api/events", headers=SSE) as r:
        events = read_events(r, until="end", limit=60)
        assert next(events).event == "ready"
        died = next(e for e in events if e.event == "container" and e.data["project"] == name
                    and e.data["action"] == "die")
    assert died.data["container"]["name"] == f"{name}-once-1" and died.data["container"]["state"] == "exited"
    assert died.data["exit_code"] == 3 and died.data["container"]["status"].startswith("Exited (3)")
    assert died.data["service_status"] == "partial"
