"""Progress events of long operations, emitted by whatever code does the work, wherever it runs.

An operation runs with a *sink* in a context variable: the API's progress middleware installs one
that feeds the client's event stream, the update worker one that appends to a Redis stream keyed
by the job id. The code doing the work (compose, pulls, the health gate) only calls `emit`, which
costs nothing when no sink is installed, so the plain request/response paths are unchanged.

Event kinds (the `kind` field):
- `accepted`: the API took the request (sent by the progress middleware before the work starts).
- `step`: a phase begins (`message`, e.g. "docker compose up").
- `compose`: compose's own progress line about one object (`object`: container, network, volume,
  service; `name`; `status`: Pulling, Recreate, Started, Healthy...).
- `pull`: the daemon's pull status of a whole image (`image`, `status`, e.g. "Digest: sha256:...").
- `layer`: the daemon's pull progress of one layer (`image`, `id`, `status`, `current`, `total`).
- `gate`: the health gate (`status`: waiting, passed, failed; `containers` or `reason`).
- `output`: any other line compose printed (warnings, the error's own words).
- `job`: the update worker's job (`status`: queued, started, finished).

This module is imported by sdmd/docker and by the worker: keep it free of FastAPI and the database.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

JOB_EVENTS_TTL_SECONDS = 86400
JOB_EVENTS_MAXLEN = 5000
END = "end"  # the last event a worker appends for a job


class Sink(Protocol):
    """Receives events; must be safe to call from any thread."""

    closed: bool

    def put(self, event: dict[str, Any]) -> None: ...


_sink: contextvars.ContextVar[Sink | None] = contextvars.ContextVar("sdmd_progress_sink", default=None)


def current() -> Sink | None:
    return _sink.get()


def active() -> bool:
    return _sink.get() is not None


def client_gone() -> bool:
    """True when an event stream's reader left; the work goes on, but waiting only for it may stop."""
    sink = _sink.get()
    return sink is not None and sink.closed


def emit(kind: str, **fields: Any) -> None:
    sink = _sink.get()
    if sink is not None and not sink.closed:
        sink.put({"kind": kind, **fields})


def step(message: str, **fields: Any) -> None:
    emit("step", message=message, **fields)


def forward(event: dict[str, Any]) -> None:
    """Pass on an event produced elsewhere (the worker), keeping its fields."""
    sink = _sink.get()
    if sink is not None and not sink.closed:
        sink.put(dict(event))


@contextmanager
def publishing(sink: Sink | None) -> Iterator[Sink | None]:
    token = _sink.set(sink)
    try:
        yield sink
    finally:
        _sink.reset(token)


def bind(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` run in the caller's context: for work handed to a thread pool, which does not copy it."""
    ctx = contextvars.copy_context()
    return lambda *args, **kwargs: ctx.run(fn, *args, **kwargs)


class Throttle:
    """At most one event per key per `interval` seconds, except the ones that must always go out."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, force: bool = False) -> bool:
        if force:  # never counted: the first throttled event after a forced one still goes out
            return True
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, float("-inf")) < self.interval:
                return False
            self._last[key] = now
            return True


class CallbackSink:
    """Stamps each event with a sequence number and the seconds since the operation began."""

    def __init__(self, deliver: Callable[[dict[str, Any]], None]) -> None:
        self._deliver = deliver
        self._seq = 0
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self.closed = False

    def put(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            event = {"seq": self._seq, "t": round(time.monotonic() - self._start, 3), **event}
        self._deliver(event)


# -- events that cross processes: the update worker appends, the API process reads -------------------
def job_events_key(job_id: str) -> str:
    return f"sdmd:progress:{job_id}"


class RedisStreamSink(CallbackSink):
    """Appends each event to a Redis stream (kept a day, capped), where any API process can follow it."""

    def __init__(self, redis: Any, job_id: str) -> None:
        self.key = job_events_key(job_id)
        self._redis = redis
        super().__init__(self._append)

    def _append(self, event: dict[str, Any]) -> None:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.xadd(self.key, {"e": json.dumps(event)}, maxlen=JOB_EVENTS_MAXLEN, approximate=True)
                pipe.expire(self.key, JOB_EVENTS_TTL_SECONDS)
                pipe.execute()
        except Exception:  # progress is a courtesy: a Redis hiccup must never fail the update itself
            pass

    def end(self, **fields: Any) -> None:
        self.put({"kind": END, **fields})


def read_job_events(redis: Any, job_id: str, after: str = "0", block_ms: int = 1000
                    ) -> list[tuple[str, dict[str, Any]]]:
    """Events appended after stream id `after` (waiting up to block_ms for the first), oldest first."""
    answer = redis.xread({job_events_key(job_id): after}, count=500, block=block_ms)
    events = []
    for _key, entries in answer or []:
        for entry_id, fields in entries:
            raw = fields.get(b"e") or fields.get("e") or b"{}"
            ident = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            events.append((ident, json.loads(raw)))
    return events


def relay_job(redis: Any, job_id: str, timeout: float) -> None:
    """Forward a worker job's events into the current sink until the job's last event (or `timeout`,
    or the stream's reader leaving). The worker's own seq/t are dropped: this stream numbers its own."""
    after, deadline = "0", time.monotonic() + timeout
    while time.monotonic() < deadline and not client_gone():
        for ident, event in read_job_events(redis, job_id, after):
            after = ident
            if event.get("kind") == END:
                return
            forward({k: v for k, v in event.items() if k not in ("seq", "t")})
