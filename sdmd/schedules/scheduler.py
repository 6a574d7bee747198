"""`sdmd scheduler`: rq-scheduler, reconciled with the database at start and periodically."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError
from rq_scheduler import Scheduler

from sdmd.config import Settings
from sdmd.core import Core
from sdmd.notifications.digest import DailyTrigger
from sdmd.schedules.sync import SYNCED_MARKER, reconcile
from sdmd.updates.queue import redis_connection

log = logging.getLogger("sdmd.scheduler")


class ReconcilingScheduler(Scheduler):
    """Moves due jobs to the queue each tick, and re-reads the schedules table every so often."""

    def __init__(self, core: Core, **kwargs) -> None:
        super().__init__(queue_name=core.settings.queue_name, interval=core.settings.scheduler_interval_seconds,
                         **kwargs)
        self.core = core
        self._next_reconcile = time.monotonic() + core.settings.reconcile_interval_seconds
        self._daily = DailyTrigger(core)  # notifications: the daily digest and cleanup

    def enqueue_jobs(self):
        try:
            self._daily.tick(self.connection)
        except Exception:  # a digest problem must not stop due update jobs
            log.exception("daily notification job not queued")
        if time.monotonic() >= self._next_reconcile or not self.connection.exists(SYNCED_MARKER):
            try:
                reconcile(self.core, self.connection)
            except Exception:  # a failed reconcile must not stop due jobs from running
                log.exception("periodic reconcile failed")
            self._next_reconcile = time.monotonic() + self.core.settings.reconcile_interval_seconds
        return super().enqueue_jobs()


def run_scheduler(settings: Settings) -> int:
    core = Core(settings)
    conn = redis_connection(settings)
    backoff = 1.0
    while True:
        try:
            report = reconcile(core, conn)
            log.info("scheduler started: %d job(s) added, %d removed by reconcile",
                     len(report.added), len(report.removed))
            ReconcilingScheduler(core, connection=conn).run()
            return 0
        except RedisError as exc:  # Redis restarting: wait for it, then reconcile again
            log.warning("Redis unavailable (%s); retrying in %.0fs", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
