"""Bounds: 50 streams opened and dropped leave no task, thread or Docker connection behind; a cap per user;
an idle timeout; a logout or an expired token ends the streams it opened."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading

import httpx
from websockets.sync.client import connect

from tests.live.conftest import TICKER, Live, read_events
from tests.support import IMAGE_V1, wait_until

SSE = {"Accept": "text/event-stream"}
SLEEPY = {"image": IMAGE_V1, "init": True, "command": ["sleep", "3600"]}


def live_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sdmd-live-")]


def unix_sockets() -> int:
    """Unix sockets this process holds (the server runs in it): Docker connections are those."""
    with open("/proc/net/unix") as f:
        inodes = {line.split()[6] for line in list(f)[1:]}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def pooled(live: Live) -> int:
    """Idle keep-alive connections in the pools of the gateway's shared clients (one per timeout; docker-py
    keeps up to 10 per pool for reuse): not a stream's, and bounded."""
    count = 0
    for client in list(live.core.docker._clients.values()):
        for adapter in client.adapters.values():
            pools = getattr(adapter, "pools", None)
            for key in list(pools.keys()) if pools is not None else []:
                count += sum(1 for conn in list(pools[key].pool.queue) if conn is not None and conn.sock is not None)
    return count


def docker_connections(live: Live) -> int:
    """Unix sockets of this process beyond the shared client's idle pool: the streams' connections."""
    return unix_sockets() - pooled(live)


def server_tasks(live: Live) -> int:
    loop = live.server.servers[0].get_loop()

    async def count() -> int:
        return len(asyncio.all_tasks())

    return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=10)


def open_stream(live: Live, path: str, **params) -> tuple[httpx.Client, httpx.Response]:
    client = live.client(timeout=30)
    response = client.send(client.build_request("GET", path, params=params, headers=SSE), stream=True)
    assert response.status_code == 200, response.read()
    return client, response


def test_fifty_streams_dropped_leave_nothing_behind(live: Live, unique_name) -> None:
    name = unique_name("b")
    live.create(name, {"app": TICKER, "idle": SLEEPY})
    live.runtime.limits.per_user = 60
    with live.client() as c:  # warm up: the gateway's own pooled connection, the thread pool
        c.get("/api/services")
        c.get(f"/api/services/{name}/logs")
    baseline = (docker_connections(live), server_tasks(live))
    assert live_threads() == []

    opened: list[tuple[httpx.Client, httpx.Response]] = []
    for i in range(20):
        opened.append(open_stream(live, f"/api/services/{name}/logs", **({"container": "app"} if i % 2 else {})))
    for _ in range(15):
        opened.append(open_stream(live, f"/api/services/{name}/stats"))
    for _ in range(5):  # the list's stream, narrowed: others' containers on this machine come and go
        opened.append(open_stream(live, "/api/stats", service=name))
    for _ in range(5):
        opened.append(open_stream(live, "/api/events"))
    terminals = []
    stack = contextlib.ExitStack()
    url = live.url.replace("http://", "ws://") + f"/api/services/{name}/containers/{name}-idle-1/terminal"
    for _ in range(5):
        ws = stack.enter_context(connect(url, subprotocols=["sdmd.terminal.v1", f"bearer.{live.token}"],
                                         origin=live.url, open_timeout=20))
        ws.recv(timeout=10)
        terminals.append(ws)
    readers = [read_events(response, until="end") for _, response in opened[:20]]  # kept: a closed reader
    for reader in readers:  # closes its connection. Every log stream sent its backlog: its followers are open
        assert next(reader).event == "lines"
    assert live.runtime.limits.open_counts() == {next(iter(live.runtime.limits.open_counts())): 50}
    # 10 all-containers log streams follow 2 containers, 10 follow one (new containers come from the host
    # model's feed, no thread), 2 shared stats streams, 5 exec readers; state streams need no thread at all
    wait_until(lambda: len(live_threads()) == 10 * 2 + 10 * 1 + 2 + 5, timeout=20,
               what=f"every stream's threads ({len(live_threads())})")
    assert docker_connections(live) >= baseline[0] + 37

    # the network drops: sockets closed under the clients, no goodbye
    for client, response in opened:
        response.close()
        client.close()
    for ws in terminals:
        ws.socket.shutdown(socket.SHUT_RDWR)
        ws.socket.close()
    with contextlib.suppress(Exception):
        stack.close()

    wait_until(lambda: live.runtime.limits.open_counts() == {}, timeout=20, what="every lease released")
    wait_until(lambda: live_threads() == [], timeout=20, what=f"no stream thread left: {live_threads()}")
    wait_until(lambda: docker_connections(live) <= baseline[0], timeout=20,
               what=f"no Docker connection left ({docker_connections(live)} > {baseline[0]})")
    wait_until(lambda: server_tasks(live) <= baseline[1], timeout=20,
               what=f"no task left ({server_tasks(live)} > {baseline[1]})")
    assert live.runtime.stats.feeds == {} and live.runtime.queues == set() and live.runtime.stoppers == set()
    # no log, stats or state stream still listens to the model; the app's alert consumer always does
    alerts = getattr(live.app.state.alerts, "_subscription", None)
    assert [s for s in live.core.live.feed._subscribers if s is not alerts] == []
    # and the execs ended in the container
    records = wait_until(lambda: len(r := live.client().get("/api/audit", params={
        "action": "terminal.close", "target": name}).json()["items"]) == 5 and r, timeout=20, what="5 closes")
    assert all(r["outcome"] == "ok" for r in records)


def test_the_cap_per_user(live: Live, unique_name) -> None:
    name = unique_name("c")
    live.create(name)
    live.runtime.limits.per_user = 3
    opened = [open_stream(live, f"/api/services/{name}/logs") for _ in range(3)]
    with live.client() as c:
        refused = c.get(f"/api/services/{name}/stats", headers=SSE)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
        assert refused.json()["error"] == "too many live streams" and "SDMD_STREAMS_PER_USER" in \
            refused.json()["details"]
        other_user = live.core.auth.issue_local_session(email="tester@example.com")["access_token"]
        assert other_user  # the cap counts per user, not per session: a second tab of the same user is refused too
        with live.client(other_user) as again:
            assert again.get(f"/api/services/{name}/stats", headers=SSE).status_code == 429
        opened[0][1].close()
        opened[0][0].close()
        wait_until(lambda: sum(live.runtime.limits.open_counts().values()) == 2, timeout=10, what="one released")
        client, response = open_stream(live, f"/api/services/{name}/stats")
        opened[0] = (client, response)
    for client, response in opened:
        response.close()
        client.close()


def test_an_idle_stream_ends_and_a_logout_ends_its_streams(live: Live, unique_name) -> None:
    name = unique_name("i")
    live.create(name, {"app": SLEEPY})
    live.core.settings.stream_idle_seconds = 1.5
    live.core.settings.stream_keepalive_seconds = 0.5
    with live.client() as c, c.stream("GET", f"/api/services/{name}/logs", headers=SSE) as r:
        events = list(read_events(r, until="end", limit=20))
    assert [e.event for e in events] == ["lines", "end"] and events[-1].data["reason"] == "idle"

    live.core.settings.stream_idle_seconds = 300
    live.core.settings.stream_auth_recheck_seconds = 0.5
    token = live.core.auth.issue_local_session(email="tester@example.com")["access_token"]
    with live.client(token) as c, c.stream("GET", f"/api/services/{name}/logs", headers=SSE) as r:
        events = read_events(r, until="end", limit=20)
        assert next(events).event == "lines"
        assert c.post("/auth/logout").status_code == 204
        end = next(events)
    assert end.event == "end" and end.data["reason"] == "unauthorized"


def test_a_stream_that_gets_in_after_shutdown_began_ends_at_once(live: Live) -> None:
    # A browser's EventSource reconnects the moment its stream ends, possibly on a kept-alive connection
    # before the listener closes; that stream must not hold the shutdown (the fixture asserts the server
    # stops) as the ones open when it began do not.
    live.app.state.live.stop_streams()
    with live.client() as c, c.stream("GET", "/api/events", headers=SSE) as r:
        assert r.status_code == 200
        events = list(read_events(r, until="end", limit=10))
    assert events[-1].event == "end" and events[-1].data["reason"] == "shutdown"
