"""What every live stream shares: the SSE wire format, the per-user cap, keepalives, the idle timeout,
the periodic token re-check, and a bridge from Docker's blocking follow streams (one thread each) to
the event loop. A stream frees everything it holds the moment its client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sdmd.auth.identity import Actor
from sdmd.config import Settings
from sdmd.errors import TooManyRequests

log = logging.getLogger("sdmd.live")

SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
RETRY_MS = 2000
# One event, as OpenAPI (3.2, and schemathesis for 3.1) reads a text/event-stream schema: its fields.
SSE_EVENT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {
    "event": {"type": "string", "description": "the event type; none means `message`"},
    "data": {"type": "string", "description": "JSON"},
    "id": {"type": "string", "description": "send it back as Last-Event-ID to resume"},
    "retry": {"type": "integer", "minimum": 0, "description": "reconnect delay in ms"}}}


def sse(data: Any, *, event: str | None = None, ident: str | None = None) -> bytes:
    """One server-sent event; JSON data never holds a raw newline, so one `data:` line is enough."""
    head = (f"event: {event}\n" if event else "") + (f"id: {ident}\n" if ident else "")
    return head.encode() + b"data: " + orjson.dumps(data, default=str) + b"\n\n"


@dataclass
class End:
    """Put on a stream's queue to end it with an `end` event saying why."""

    reason: str
    details: str | None = None


# -- the per-user cap -----------------------------------------------------------------------------------
@dataclass(eq=False)  # each lease is itself: identity, not field equality
class Lease:
    limits: StreamLimits
    user: str
    kind: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limits._release(self)


@dataclass
class StreamLimits:
    per_user: int
    _open: dict[str, list[Lease]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, actor: Actor, kind: str) -> Lease:
        user = actor.id or actor.email or "anonymous"
        with self._lock:
            leases = self._open.setdefault(user, [])
            if len(leases) >= self.per_user:
                kinds = ", ".join(sorted({lease.kind for lease in leases}))
                raise TooManyRequests("too many live streams",
                                      f"{len(leases)} streams are open for this user ({kinds}); the limit is "
                                      f"{self.per_user} (SDMD_STREAMS_PER_USER): close a tab or a terminal",
                                      headers={"Retry-After": "5"})
            lease = Lease(self, user, kind)
            leases.append(lease)
            return lease

    def _release(self, lease: Lease) -> None:
        with self._lock:
            leases = self._open.get(lease.user, [])
            if lease in leases:
                leases.remove(lease)
            if not leases:
                self._open.pop(lease.user, None)

    def open_counts(self) -> dict[str, int]:
        with self._lock:
            return {user: len(leases) for user, leases in self._open.items()}


# -- blocking Docker streams, one thread each, feeding the loop -----------------------------------------
class Bridge:
    """Iterates a blocking stream in its own daemon thread and hands items to the event loop.

    At most `window` items wait in the loop at once: a slow client slows the Docker read (the daemon
    buffers) instead of growing memory. `close()` may be called from the loop at any time; the thread
    ends as soon as the stream's socket is shut.
    """

    def __init__(self, name: str, opener: Callable[[], Any], on_item: Callable[[Any], None],
                 on_end: Callable[[BaseException | None], None], *, window: int = 256) -> None:
        self._loop = asyncio.get_running_loop()
        self._opener = opener
        self._on_item = on_item
        self._on_end = on_end
        self._slots = threading.Semaphore(window)
        self._stream: Any = None
        self._closed = threading.Event()
        self._guard = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=f"sdmd-live-{name}", daemon=True)

    def start(self) -> Bridge:
        self.thread.start()
        return self

    def _post(self, fn: Callable[..., None], *args: Any) -> bool:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
            return True
        except RuntimeError:  # the loop is gone (shutdown)
            return False

    def _deliver(self, item: Any) -> None:
        self._slots.release()
        if not self._closed.is_set():
            self._on_item(item)

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            stream = self._opener()
            with self._guard:
                self._stream = stream
                closed = self._closed.is_set()
            if closed:
                stream.close()
                return
            for item in stream:
                while not self._slots.acquire(timeout=0.5):
                    if self._closed.is_set():
                        return
                if self._closed.is_set() or not self._post(self._deliver, item):
                    return
        except Exception as exc:
            error = exc
        finally:
            if not self._closed.is_set():
                self._post(self._finish, error)
            self._close_stream()

    def _finish(self, error: BaseException | None) -> None:
        if not self._closed.is_set():
            self._on_end(error)

    def _close_stream(self) -> None:
        with self._guard:
            stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception as exc:
                log.debug("closing a stream: %s", exc)

    def close(self) -> None:
        self._closed.set()
        self._close_stream()


# -- the response -----------------------------------------------------------------------------------------
Recheck = Callable[[], Awaitable[str | None]]


class EventStream(Response):
    """An SSE response fed by an asyncio queue of ready `sse()` chunks (or an End).

    Unlike Starlette's StreamingResponse it always listens for the client's disconnect, so a stream
    that has nothing to send still frees its Docker connections and threads at once. It sends a
    comment every keepalive interval, ends itself after `idle` seconds without data, and re-checks
    the caller's token now and then (`recheck` returns why the token no longer holds, or None).
    """

    media_type = "text/event-stream"

    def __init__(self, queue: asyncio.Queue[bytes | End], *, settings: Settings, lease: Lease,
                 producer: Callable[[], Awaitable[None]] | None = None,
                 cleanup: Iterable[Callable[[], Any]] = (), recheck: Recheck | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(content=b"", headers={**SSE_HEADERS, **(headers or {})}, media_type=self.media_type)
        del self.headers["content-length"]
        self.queue = queue
        self.producer = producer
        self.lease = lease
        self.cleanup = list(cleanup)
        self.recheck = recheck
        self.keepalive = settings.stream_keepalive_seconds
        self.idle = settings.stream_idle_seconds
        self.recheck_every = settings.stream_auth_recheck_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:
                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                if self.producer is not None:
                    group.start_soon(self._produce)
                with contextlib.suppress(OSError):  # the client went away mid-send
                    await self._pump(send)
                group.cancel_scope.cancel()
        finally:
            self.close()

    async def _produce(self) -> None:
        assert self.producer is not None
        try:
            await self.producer()
        except Exception as exc:
            log.exception("a live stream's producer failed")
            message = getattr(exc, "message", None) or type(exc).__name__
            self.queue.put_nowait(End("error", f"{message}: {getattr(exc, 'details', None) or exc}"))

    def close(self) -> None:
        for fn in self.cleanup:
            try:
                fn()
            except Exception:
                log.exception("cleaning up a live stream")
        self.cleanup = []
        self.lease.release()

    async def _pump(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": f"retry: {RETRY_MS}\n\n".encode(), "more_body": True})
        last_data = next_check = time.monotonic()
        next_check += self.recheck_every
        end: End | None = None
        while end is None:
            now = time.monotonic()
            if self.recheck is not None and now >= next_check:
                next_check = now + self.recheck_every
                if reason := await self.recheck():
                    end = End("unauthorized", reason)
                    break
            wait = max(0.01, min(self.keepalive, last_data + self.idle - now, next_check - now))
            try:
                item = await asyncio.wait_for(self.queue.get(), timeout=wait)
            except TimeoutError:
                now = time.monotonic()
                if now - last_data >= self.idle:
                    end = End("idle", f"nothing to send for {self.idle:.0f}s; reconnect to resume")
                elif now < next_check:
                    await send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
                continue
            if isinstance(item, End):
                end = item
                break
            last_data = time.monotonic()
            await send({"type": "http.response.body", "body": item, "more_body": True})
        chunk = sse({"reason": end.reason, "details": end.details}, event="end")
        await send({"type": "http.response.body", "body": chunk, "more_body": False})
