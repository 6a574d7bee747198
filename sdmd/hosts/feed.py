"""The live model's change feed: what live UI streams (issue 13) and alerts (issue 14) subscribe to.

Two kinds of change, both immutable:
- `ContainerChange`: one Docker event about a compose container (`action` is Docker's: "start",
  "die", "health_status: unhealthy", ...; `event` is the raw event, whose Actor.Attributes carry
  `exitCode`, `name`, `image` and the labels), with the container's /containers/json entry after it
  (`container`, None once removed) and before it (`previous`). After a reconnect, containers that
  changed while the stream was down arrive with action "resync" and no event; so do containers whose
  listing, once Docker caught up with an event, says more than the event did (a `die` shows as
  exited at once; a restart policy may make Docker's own entry `restarting`).
- `HostStateChange`: a host went `connected`, `reconnecting` or `unreachable`.

Subscribe with a callback (called on the watcher's thread: return quickly, never block), a
thread-safe queue (`subscribe_queue`), or an asyncio queue (`subscribe_async`, fed with
`call_soon_threadsafe`). Queues are bounded: when a consumer falls behind, the oldest changes are
dropped and `dropped` counts them, so one slow consumer never stalls the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger("sdmd.hosts")


@dataclass(frozen=True)
class ContainerChange:
    host: str
    container_id: str
    project: str | None
    action: str
    event: dict[str, Any] | None
    container: dict[str, Any] | None
    previous: dict[str, Any] | None
    kind: str = "container"

    @property
    def exit_code(self) -> int | None:
        value = ((self.event or {}).get("Actor") or {}).get("Attributes", {}).get("exitCode")
        return int(value) if value not in (None, "") else None

    @property
    def health(self) -> str | None:
        """healthy / unhealthy / starting, for health_status events."""
        if self.action.startswith("health_status:"):
            return self.action.split(":", 1)[1].strip()
        return None


@dataclass(frozen=True)
class HostStateChange:
    host: str
    state: str
    previous: str
    since: datetime
    error: str | None
    kind: str = "host"


Change = ContainerChange | HostStateChange
Callback = Callable[[Change], None]


class Subscription:
    def __init__(self, feed: ChangeFeed, callback: Callback) -> None:
        self._feed = feed
        self.callback = callback

    def close(self) -> None:
        self._feed.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class QueueSubscription(Subscription):
    """`get(timeout)` from any thread; None on timeout, and at once once closed."""

    def __init__(self, feed: ChangeFeed, maxsize: int) -> None:
        self.queue: queue.Queue[Change | None] = queue.Queue(maxsize=maxsize)
        self.dropped = 0
        self._closed = False
        super().__init__(feed, self._put)

    def close(self) -> None:
        super().close()
        self._closed = True
        self._put(None)  # wakes a get() that waits, so its thread can stop now rather than at its timeout

    def _put(self, change: Change | None) -> None:
        while True:
            try:
                self.queue.put_nowait(change)
                return
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self.queue.get_nowait()
                    self.dropped += 1

    def get(self, timeout: float | None = None) -> Change | None:
        if self._closed:
            return None
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


class AsyncSubscription(Subscription):
    """`await sub.get()` on the event loop it was made for."""

    def __init__(self, feed: ChangeFeed, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0
        super().__init__(feed, lambda change: loop.call_soon_threadsafe(self._put, change))

    def _put(self, change: Change) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(change)

    async def get(self) -> Change:
        return await self.queue.get()


class ChangeFeed:
    def __init__(self) -> None:
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callback) -> Subscription:
        sub = Subscription(self, callback)
        self._add(sub)
        return sub

    def subscribe_queue(self, maxsize: int = 1000) -> QueueSubscription:
        sub = QueueSubscription(self, maxsize)
        self._add(sub)
        return sub

    def subscribe_async(self, loop: asyncio.AbstractEventLoop | None = None, maxsize: int = 1000) -> AsyncSubscription:
        sub = AsyncSubscription(self, loop or asyncio.get_running_loop(), maxsize)
        self._add(sub)
        return sub

    def _add(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers = [*self._subscribers, sub]

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s is not sub]

    def publish(self, change: Change) -> None:
        for sub in self._subscribers:  # a copy-on-write list: no lock while calling out
            try:
                sub.callback(change)
            except Exception:  # a broken consumer must not break the model
                log.exception("change feed subscriber failed")
