"""The live domain's per-process state: the per-user cap, the shared stats hub, every open stream.

One `Live` per app (app.state.live). `stop_streams()` ends every open stream and terminal at once; the
server calls it when it starts shutting down (sdmd.live.server), since HTTP has no way to tell an
open response that the server is going away and it would otherwise wait for them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from sdmd.auth.dependencies import bearer_token
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import SdmdError
from sdmd.live.stats import StatsHub
from sdmd.live.streams import End, EventStream, StreamLimits

log = logging.getLogger("sdmd.live")
SHUTDOWN = End("shutdown", "sdmd is stopping; reconnect in a moment")


class Live:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.limits = StreamLimits(core.settings.streams_per_user)
        self.stats = StatsHub(core, core.settings.stats_max_containers)
        self.queues: set[asyncio.Queue[Any]] = set()
        self.stoppers: set[Callable[[], None]] = set()
        # Once shutdown has begun, a stream that still gets in (a browser's EventSource reconnecting on a
        # kept-alive connection in the moment before the listener closes) ends at once, or it would hold
        # the shutdown as the ones already ended no longer do.
        self.stopping = False

    def stream(self, request: Request, actor: Actor, kind: str, *, producer: Any = None,
               cleanup: list[Callable[[], Any]] | None = None,
               queue: asyncio.Queue[bytes | End] | None = None) -> EventStream:
        """An SSE response counted against the caller's cap (429 beyond it) and ended on shutdown."""
        lease = self.limits.acquire(actor, kind)
        queue = queue if queue is not None else asyncio.Queue()
        self.queues.add(queue)
        if self.stopping:
            queue.put_nowait(SHUTDOWN)
        token = bearer_token(request)
        return EventStream(queue, settings=self.core.settings, lease=lease, producer=producer,
                           cleanup=[*(cleanup or []), lambda: self.queues.discard(queue)],
                           recheck=lambda: self.recheck(token))

    async def recheck(self, token: str) -> str | None:
        """Why the token of an open stream no longer holds (logged out, expired), or None."""
        try:
            await run_in_threadpool(self.core.auth.authenticate, access_token=token, client_addr=None)
        except SdmdError as exc:
            return exc.details or exc.message
        return None

    def stop_streams(self) -> None:
        self.stopping = True
        for queue in list(self.queues):
            queue.put_nowait(SHUTDOWN)
        for stop in list(self.stoppers):
            stop()

    def add_stopper(self, stop: Callable[[], None]) -> None:
        """`stop` is called when shutdown begins, or now, when it has begun already."""
        self.stoppers.add(stop)
        if self.stopping:
            stop()

    def close(self) -> None:
        self.stats.close()


def get_live(connection: HTTPConnection) -> Live:
    return connection.app.state.live


LiveDep = Annotated[Live, Depends(get_live)]
