"""`sdmd scheduler`: rq-scheduler, reconciled with the database at start and periodically.

The scheduler's own loop needs Redis alone. Each reconcile runs in a forked child (sdmd/forked.py):
it needs SQLAlchemy and the schedules' database code, which would otherwise stay resident in a
process that uses them once a minute (tests/bench/bench_memory.py). Even the settings are read in a
child: pydantic-settings holds about 10 MB, and the loop needs nine values of them (LoopSettings).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from sdmd.forked import in_child, value_from_child
from sdmd.notifications.daily import DailyTrigger
from sdmd.schedules.keys import SYNCED_MARKER
from sdmd.updates.queue import redis_connection

if TYPE_CHECKING:
    from sdmd.config import Settings

log = logging.getLogger("sdmd.scheduler")

RECONCILED, REDIS_DOWN = 0, 3
# After a reconcile that did not leave the marker (the database or Redis down), the next try waits
# this long instead of forking on every tick.
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class LoopSettings:
    """The settings the scheduler's own loop reads, by their names in sdmd.config.Settings."""

    resolved_redis_url: str
    queue_name: str
    notify_queue_name: str
    scheduler_interval_seconds: float
    reconcile_interval_seconds: float
    timezone: str
    notify_digest_time: str
    log_format: str
    log_level: str

    @classmethod
    def of(cls, settings: Settings) -> LoopSettings:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})

    @classmethod
    def from_environment(cls) -> LoopSettings:
        """Read, and validated, by sdmd.config.Settings in a child: its imports leave with it."""
        return value_from_child(lambda: cls.of(_settings()), "reading the settings")


def _settings() -> Settings:
    from sdmd.config import Settings

    return Settings()


def reconcile_in_child() -> int:
    """RECONCILED, REDIS_DOWN, or forked.FAILED (logged) for any other failure. The child reads the
    settings from the environment the scheduler was started with."""

    def reconcile_once() -> int:
        from sdmd.core import Core
        from sdmd.schedules.sync import reconcile

        settings = _settings()
        try:
            with Core(settings) as core:
                report = reconcile(core, redis_connection(settings))
        except RedisError as exc:
            log.warning("reconcile: Redis unavailable (%s)", exc)
            return REDIS_DOWN
        log.info("schedules reconciled: %d job(s) added, %d removed", len(report.added), len(report.removed))
        return RECONCILED

    return in_child(reconcile_once, "reconciling schedules")


class ReconcilingScheduler(Scheduler):
    """Moves due jobs to the queue each tick, and has the schedules table re-read every so often."""

    def __init__(self, settings: LoopSettings, **kwargs) -> None:
        super().__init__(queue_name=settings.queue_name, interval=settings.scheduler_interval_seconds, **kwargs)
        self.settings = settings
        self._next_reconcile = time.monotonic() + settings.reconcile_interval_seconds
        self._next_retry = 0.0
        self._daily = DailyTrigger(settings)  # notifications: the daily digest and cleanup

    def enqueue_jobs(self):
        try:
            self._daily.tick(self.connection)
        except Exception:  # a digest problem must not stop due update jobs
            log.exception("daily notification job not queued")
        now = time.monotonic()
        if now >= self._next_reconcile or (now >= self._next_retry and not self.connection.exists(SYNCED_MARKER)):
            reconcile_in_child()  # a failure is logged; due jobs still run below
            self._next_reconcile = time.monotonic() + self.settings.reconcile_interval_seconds
            self._next_retry = time.monotonic() + RETRY_SECONDS
        return super().enqueue_jobs()


def run_scheduler(settings: LoopSettings) -> int:
    conn = redis_connection(settings)
    backoff = 1.0
    while True:
        try:
            conn.ping()
            if reconcile_in_child() == REDIS_DOWN:
                raise RedisError("Redis went away during the first reconcile")
            log.info("scheduler started")
            ReconcilingScheduler(settings, connection=conn).run()
            return 0
        except RedisError as exc:  # Redis restarting: wait for it, then reconcile again
            log.warning("Redis unavailable (%s); retrying in %.0fs", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
