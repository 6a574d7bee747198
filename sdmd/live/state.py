"""State pushed: one event stream of container and host changes, fed by the hosts' live model.

The model (sdmd/hosts) already follows every host's Docker /events; this stream forwards its change
feed to the browser, so a page stays current without polling:
- `ready` first ({"hosts": {name: state}}): a page (re)loads what it shows once, then applies events;
- `container`: {host, project, service_id, action, exit_code, container (as in the service views, or
  null once removed), service_status (the service's status after the change), containers (every
  container of that project now)};
- `host`: {host, state, previous, error}.
Changes of one project that arrive within a few milliseconds of each other are sent once, with the
latest state. There are no event ids: after a reconnect the `ready` event says "load again".
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sdmd.core import Core
from sdmd.errors import UpstreamUnavailable
from sdmd.live.streams import End, sse
from sdmd.services import repository as repo
from sdmd.services.runtime import container_view, overall_status
from sdmd.services.service import unmanaged_id

COALESCE_SECONDS = 0.02
ID_CACHE_SECONDS = 30.0


class StateFollow:
    def __init__(self, core: Core, queue: asyncio.Queue[bytes | End]) -> None:
        if core.live is None:
            raise UpstreamUnavailable("live state unavailable",
                                      "this process runs without the hosts' live model (SDMD_HOST_WATCH=false)")
        self.core, self.model, self.queue = core, core.live, queue
        self.subscription: Any = None
        self.pending: dict[tuple[str, str], Any] = {}
        self.flush: asyncio.TimerHandle | None = None
        self.ids: dict[tuple[str, str], tuple[str, float]] = {}
        self.closed = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.subscription = self.model.feed.subscribe(lambda change: loop.call_soon_threadsafe(self._change, change))
        hosts = {name: snap.state for name, snap in self.model.snapshots().items()}
        self.queue.put_nowait(sse({"hosts": hosts}, event="ready"))

    def _change(self, change: Any) -> None:
        if self.closed:
            return
        if change.kind == "host":
            self.queue.put_nowait(sse({"host": change.host, "state": change.state, "previous": change.previous,
                                       "error": change.error}, event="host"))
            return
        if not change.project:
            return
        self.pending[(change.host, change.project)] = change
        if self.flush is None:
            self.flush = asyncio.get_running_loop().call_later(COALESCE_SECONDS, self._send)

    def _service_id(self, host: str, project: str) -> str:
        cached = self.ids.get((host, project))
        if cached and time.monotonic() - cached[1] < ID_CACHE_SECONDS:
            return cached[0]
        with self.core.db.sessions() as session:
            config = repo.get_by_name(session, project)
        sid = config.id if config is not None and config.host == host else unmanaged_id(host, project)
        self.ids[(host, project)] = (sid, time.monotonic())
        return sid

    def _send(self) -> None:
        self.flush = None
        changes, self.pending = self.pending, {}
        for (host, project), change in changes.items():
            snap = self.model.snapshot(host, settle=False)
            members = [container_view(c) for c in (snap.project(project) if snap is not None else [])]
            members.sort(key=lambda v: (v["service"] or "", v["name"]))
            # The model's answer: it re-lists a container whose listing still lags its event (hosts).
            current = container_view(change.container) if change.container else None
            self.queue.put_nowait(sse({
                "host": host, "project": project, "service_id": self._service_id(host, project),
                "action": change.action, "exit_code": _exit_code(change),
                "container": current,
                "container_id": change.container_id[:12], "service_status": overall_status(members),
                "containers": members,
            }, event="container"))

    def close(self) -> None:
        self.closed = True
        if self.subscription is not None:
            self.subscription.close()
        if self.flush is not None:
            self.flush.cancel()


def _exit_code(change: Any) -> int | None:
    """From the event ("die" carries exitCode), else from the listing's "Exited (137) 2 seconds ago"."""
    if change.exit_code is not None:
        return change.exit_code
    m = re.match(r"Exited \((-?\d+)\)", (change.container or {}).get("Status") or "")
    return int(m[1]) if m else None
