"""`sdmd scheduler`: rq-scheduler, reconciled with the database at start and periodically.

The scheduler's own loop needs Redis alone. Each reconcile runs in a forked child (sdmd/forked.py):
it needs SQLAlchemy and the schedules' database code, which would otherwise stay resident in a
process that uses them once a minute (tests/bench/bench_memory.py).
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from sdmd.config import Settings
from sdmd.forked import in_child
from sdmd.notifications.daily import DailyTrigger
from sdmd.schedules.keys import SYNCED_MARKER
from sdmd.updates.queue import redis_connection

log = logging.getLogger("sdmd.scheduler")

RECONCILED, REDIS_DOWN = 0, 3
# After a reconcile that did not leave the marker (the database or Redis down), the next try waits
# this long instead of forking on every tick.
RETRY_SECONDS = 5.0


def reconcile_in_child(settings: Settings) -> int:
    """RECONCILED, REDIS_DOWN, or forked.FAILED (logged) for any other failure."""

    def reconcile_once() -> int:
        from sdmd.core import Core
        from sdmd.schedules.sync import reconcile

        core = Core(settings)
        try:
            report = reconcile(core, redis_connection(settings))
        except RedisError as exc:
            log.warning("reconcile: Redis unavailable (%s)", exc)
            return REDIS_DOWN
        finally:
            core.close()
        log.info("schedules reconciled: %d job(s) added, %d removed", len(report.added), len(report.removed))
        return RECONCILED

    return in_child(reconcile_once, "reconciling schedules")


class ReconcilingScheduler(Scheduler):
    """Moves due jobs to the queue each tick, and has the schedules table re-read every so often."""

    def __init__(self, settings: Settings, **kwargs) -> None:
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
            reconcile_in_child(self.settings)  # a failure is logged; due jobs still run below
            self._next_reconcile = time.monotonic() + self.settings.reconcile_interval_seconds
            self._next_retry = time.monotonic() + RETRY_SECONDS
        return super().enqueue_jobs()


def run_scheduler(settings: Settings) -> int:
    conn = redis_connection(settings)
    backoff = 1.0
    while True:
        try:
            conn.ping()
            if reconcile_in_child(settings) == REDIS_DOWN:
                raise RedisError("Redis went away during the first reconcile")
            log.info("scheduler started")
            ReconcilingScheduler(settings, connection=conn).run()
            return 0
        except RedisError as exc:  # Redis restarting: wait for it, then reconcile again
            log.warning("Redis unavailable (%s); retrying in %.0fs", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
