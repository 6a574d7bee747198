"""When the daily notification job runs: checked on every `sdmd scheduler` tick.

Settings and Redis only (and no pydantic: the scheduler passes its LoopSettings). The job itself
(sdmd.notifications.digest.daily_job) needs the database; the worker imports it by name when it runs
it, so the scheduler never loads it.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from redis import Redis
from redis.exceptions import RedisError

from sdmd.updates.queue import QueueSettings, notify_queue

log = logging.getLogger("sdmd.notifications")

DAILY_KEY = "sdmd:notify:daily:"
DAILY_JOB = "sdmd.notifications.digest.daily_job"


class DailySettings(QueueSettings, Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def notify_digest_time(self) -> str: ...


class DailyTrigger:
    """Enqueues the daily job once per local day, at or after SDMD_NOTIFY_DIGEST_TIME (late, if the
    scheduler was down then). Several schedulers agree through one Redis key per day."""

    def __init__(self, settings: DailySettings) -> None:
        self.settings = settings
        self._done: date | None = None

    def tick(self, conn: Redis, now: datetime | None = None) -> bool:
        local = (now or datetime.now(UTC)).astimezone(ZoneInfo(self.settings.timezone))
        hour, minute = (int(p) for p in self.settings.notify_digest_time.split(":"))
        if self._done == local.date() or local.time() < time(hour, minute):
            return False
        try:
            first = conn.set(f"{DAILY_KEY}{local.date().isoformat()}", "1", nx=True, ex=3 * 86400)
            if first:
                notify_queue(self.settings, conn).enqueue(
                    DAILY_JOB, job_timeout=600, result_ttl=86400,
                    description="notifications: daily digest and cleanup")
        except RedisError as exc:
            log.warning("daily digest not queued: %s", exc)
            return False
        self._done = local.date()
        return bool(first)
