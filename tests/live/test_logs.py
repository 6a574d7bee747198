"""Logs: live follow from Docker's follow streams, resume after a dropped connection without losing or
repeating a line, one container or all, containers that start later, since/until, downloads."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from tests.live.conftest import TICKER, Event, Live, read_events
from tests.support import docker_api

SSE = {"Accept": "text/event-stream"}
TWO = {"app": TICKER, "other": {**TICKER, "command": ["sh", "-c", "while true; do echo other-line; sleep 0.3; done"]}}


def ticks(events: list[Event]) -> list[int]:
    return [int(m[1]) for e in events for line in e.data["lines"]
            if (m := re.fullmatch(r"tick-(\d+)", line["message"]))]


def follow(live: Live, service: str, count: int, headers: dict | None = None, **params) -> list[Event]:
    """The first `count` `lines` events of a follow stream, then the connection is dropped."""
    got: list[Event] = []
    with live.client() as c, c.stream("GET", f"/api/services/{service}/logs", params=params,
                                      headers={**SSE, **(headers or {})}) as r:
        assert r.status_code == 200, r.read()
        for e in read_events(r, until=("end",), limit=60):
            if e.event == "lines":
                got.append(e)
                if len(got) >= count:
                    break
    return got


def write_line(container: str, text: str) -> None:
    api = docker_api()
    try:
        exec_id = api.exec_create(container, ["sh", "-c", f"echo {text} > /proc/1/fd/1"])["Id"]
        api.exec_start(exec_id)
    finally:
        api.close()


def test_follow_sends_the_backlog_then_each_line_as_written(live: Live, unique_name) -> None:
    name = unique_name("l")
    live.create(name)
    time.sleep(1.5)
    container = f"{name}-app-1"
    with live.client() as c, c.stream("GET", f"/api/services/{name}/logs", params={"tail": 3}, headers=SSE) as r:
        events = read_events(r, until="end", limit=30)
        backlog = next(events)
        assert backlog.event == "lines" and backlog.data["backlog"] is True
        assert len(backlog.data["lines"]) == 3 and re.fullmatch(r"[0-9a-f]{12}:\d+:\d+", backlog.id)
        assert all(line["container"] == container and line["service"] == "app" for line in backlog.data["lines"])
        write_line(container, "written-from-outside")
        written = time.monotonic()
        for e in events:
            if any(line["message"] == "written-from-outside" for line in e.data["lines"]):
                break
        assert time.monotonic() - written < 5  # the bench measures the real figure (tests/bench/bench_live.py)
        assert e.data["backlog"] is False and re.fullmatch(r"([0-9a-f]{12}:\d+:\d+,?)+", e.id)


def test_reconnecting_with_last_event_id_loses_and_repeats_nothing(live: Live, unique_name) -> None:
    name = unique_name("c")
    live.create(name)
    time.sleep(1)
    first = follow(live, name, 4, tail=5)
    time.sleep(1.5)  # the container keeps writing while nobody listens
    second = follow(live, name, 4, headers={"Last-Event-ID": first[-1].id})
    assert second[0].data["backlog"] is False  # resumed, not started afresh
    seen = ticks(first) + ticks(second)
    assert len(seen) >= 12 and seen == list(range(seen[0], seen[0] + len(seen))), seen


def test_one_container_or_all_and_containers_that_start_later(live: Live, unique_name) -> None:
    name = unique_name("m")
    live.create(name, TWO)
    time.sleep(1)
    only = follow(live, name, 3, container="other")
    assert {line["service"] for e in only for line in e.data["lines"]} == {"other"}
    both = follow(live, name, 6)
    assert {line["service"] for e in both for line in e.data["lines"]} == {"app", "other"}
    with live.client() as c, c.stream("GET", f"/api/services/{name}/logs", params={"tail": 1,
                                                                                  "container": "app"},
                                      headers=SSE) as r:
        events = read_events(r, until="end", limit=60)
        next(events)
        api = docker_api()
        try:
            api.restart(f"{name}-app-1", timeout=1)
        finally:
            api.close()
        restarted = False
        for e in events:  # after the restart the ticker counts from 1 again: the follower reopened
            if 1 in ticks([e]):
                restarted = True
                break
        assert restarted
    with live.client() as c:
        assert c.get(f"/api/services/{name}/logs", params={"container": "nope"}).status_code == 404


def test_since_until_and_download(live: Live, unique_name) -> None:
    name = unique_name("d")
    live.create(name, TWO)
    time.sleep(1.2)
    middle = datetime.now(UTC)
    time.sleep(1.2)
    end = datetime.now(UTC)
    time.sleep(0.5)
    with live.client() as c:
        lines = c.get(f"/api/services/{name}/logs", params={"since": middle.isoformat(), "until": end.isoformat(),
                                                            "tail": 10000}, headers={"Accept": "application/json"})
        assert lines.status_code == 200
        stamps = [line["timestamp"] for line in lines.json()]
        assert stamps == sorted(stamps) and len(stamps) >= 6
        assert all(middle.strftime("%Y-%m-%dT%H:%M:%S") <= s[:19] <= end.strftime("%Y-%m-%dT%H:%M:%S") for s in stamps)
        assert {line["service"] for line in lines.json()} == {"app", "other"}

        download = c.get(f"/api/services/{name}/logs", params={"download": "true", "until": end.isoformat()})
        assert download.status_code == 200 and download.headers["content-type"].startswith("text/plain")
        assert re.fullmatch(rf'attachment; filename="{name}-logs-\d{{8}}T\d{{6}}Z\.log"',
                            download.headers["content-disposition"])
        rows = download.text.splitlines()
        assert rows[0].startswith(f"{name}-") and " | " in rows[0]
        assert any(row.split(" ", 3)[-1] == "tick-1" for row in rows)  # all of it, from the first line
        assert sum(1 for row in rows if row.endswith("other-line")) >= 6

        # a bounded follow ends by itself once it has sent every line up to `until`
        with c.stream("GET", f"/api/services/{name}/logs", params={"until": end.isoformat(), "tail": 5},
                      headers=SSE) as r:
            events = list(read_events(r, until="end", limit=30))
        assert [e.event for e in events] == ["lines", "end"] and events[-1].data["reason"] == "complete"

        bad = c.get(f"/api/services/{name}/logs", params={"since": "yesterday"})
        assert bad.status_code == 422 and bad.json()["error"] == "invalid since"


def test_a_service_with_no_containers_yet_is_followed_as_they_start(live: Live, unique_name) -> None:
    name = unique_name("n")
    service = live.create(name)
    with live.client() as c:
        assert c.post(f"/api/services/{service['id']}/stop").status_code == 200
        api = docker_api()
        try:
            api.remove_container(f"{name}-app-1", force=True)
        finally:
            api.close()
        with c.stream("GET", f"/api/services/{name}/logs", headers=SSE) as r:
            events = read_events(r, until="end", limit=60)
            assert next(events).data == {"lines": [], "backlog": True}
            assert c.post(f"/api/services/{service['id']}/apply").status_code == 200
            first = next(events)
            assert ticks([first])[0] == 1
