"""Handing an event to the worker: never raises, never makes the action that caused it wait.

The action's process checks that some enabled channel wants the event (one database read), then a
background thread puts a dispatch job on the notification queue. Redis being down (or hung) costs
the action nothing: the thread logs a warning and the event is dropped, while the action's own
result stands. The worker then writes one delivery row per channel and sends each with retries.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from sdmd.config import Settings
from sdmd.notifications import repository as repo
from sdmd.notifications.events import Event, selects

if TYPE_CHECKING:
    from sdmd.core import Core

log = logging.getLogger("sdmd.notifications")

DISPATCH_JOB = "sdmd.notifications.delivery.dispatch_job"
ONCE_PREFIX = "sdmd:notify:once:"

_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sdmd-notify")
_connections: dict[str, Redis] = {}
_guard = threading.Lock()


def notify_redis(settings: Settings) -> Redis:
    """A client with a read timeout: a hung Redis must not hold the emitting thread for ever."""
    url = settings.resolved_redis_url
    with _guard:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
        return conn


def wanted(core: Core, event_type: str) -> bool:
    with core.db.sessions() as session:
        return any(selects(c.events, event_type) for c in repo.channels(session, enabled_only=True))


def emit(core: Core, event: Event, *, once_key: str | None = None, once_seconds: int | None = None) -> Future[bool]:
    """Queue `event` for delivery. With `once_key`, at most one such event per `once_seconds`
    (across every process sharing the Redis). The future says whether it was queued (tests wait on it)."""
    try:
        return _pool.submit(_enqueue, core, event, once_key, once_seconds)
    except RuntimeError:  # interpreter shutting down
        done: Future[bool] = Future()
        done.set_result(False)
        return done


def flush(timeout: float = 10.0) -> None:
    """Wait until every event emitted so far is queued (or dropped): for tests and for short-lived commands."""
    _pool.submit(lambda: None).result(timeout=timeout)


def _enqueue(core: Core, event: Event, once_key: str | None, once_seconds: int | None) -> bool:
    try:
        if not wanted(core, event.type):
            return False
        conn = notify_redis(core.settings)
        if once_key and not conn.set(f"{ONCE_PREFIX}{once_key}", "1", nx=True, ex=once_seconds or 3600):
            log.info("notification %s suppressed: already sent within its window (%s)", event.type, once_key)
            return False
        Queue(core.settings.notify_queue_name, connection=conn).enqueue(
            DISPATCH_JOB, event.payload(), job_timeout=120, result_ttl=3600, failure_ttl=7 * 86400,
            description=f"notify {event.type}: {event.title[:80]}")
        return True
    except RedisError as exc:
        log.warning("notification %s (%s) not queued, Redis unavailable: %s", event.type, event.title, exc)
    except Exception:  # whatever breaks here must not reach the action that emitted
        log.exception("notification %s (%s) not queued", event.type, event.title)
    return False
