"""Keep rq-scheduler's jobs equal to the scheduled_tasks table (the source of truth).

Each enabled schedule has exactly one rq-scheduler job, for its next occurrence, with the id
`sdmd-schedule-<schedule id>-<unix time>`. Reconciling computes that set from the database and
makes Redis match it: missing jobs are added (after a Redis restart or flush nothing is lost),
jobs of deleted, disabled or changed schedules are cancelled (so they never fire). It runs on
every change through the API, at scheduler start, periodically in the scheduler, and after each
firing; a Redis lock makes the runs take turns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.schedules import repository as repo
from sdmd.schedules.keys import JOB_PREFIX, RECONCILE_LOCK, SYNCED_MARKER
from sdmd.schedules.models import ScheduledTask
from sdmd.schedules.timing import next_run
from sdmd.updates.queue import redis_connection, update_queue

if TYPE_CHECKING:
    from rq_scheduler import Scheduler

log = logging.getLogger("sdmd.schedules")

FIRE_FUNC = "sdmd.schedules.jobs.fire_schedule"
PENDING = {JobStatus.QUEUED, JobStatus.STARTED}


@dataclass
class Report:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def job_id(schedule_id: str, due: datetime) -> str:
    return f"{JOB_PREFIX}{schedule_id}-{int(due.timestamp())}"


def next_run_for(schedule: ScheduledTask, *, after: datetime) -> datetime:
    return next_run(frequency=schedule.frequency, time_of_day=schedule.time_of_day, timezone=schedule.timezone,
                    day_of_week=schedule.day_of_week, after=after)


def scheduler_for(core: Core, conn: Redis) -> Scheduler:
    from rq_scheduler import Scheduler  # only when reconciling: the API loads it on its first schedule change

    return Scheduler(queue_name=core.settings.queue_name, connection=conn)


@contextmanager
def reconcile_lock(conn: Redis) -> Iterator[None]:
    with conn.lock(RECONCILE_LOCK, timeout=60, blocking_timeout=30):
        yield


def _desired(core: Core) -> dict[str, tuple[str, datetime]]:
    """{job id: (schedule id, due)}; fills in next_run_at where it is missing or long missed."""
    now = utcnow()
    missed_before = now - timedelta(seconds=core.settings.schedule_misfire_grace_seconds)
    want: dict[str, tuple[str, datetime]] = {}
    with core.db.session() as session:
        for schedule in repo.all_schedules(session):
            if not schedule.enabled:
                schedule.next_run_at = None
                continue
            if schedule.next_run_at is None or schedule.next_run_at < missed_before:
                # A run missed by less than the grace period still happens (late); an older one is skipped.
                schedule.next_run_at = next_run_for(schedule, after=now)
            want[job_id(schedule.id, schedule.next_run_at)] = (schedule.id, schedule.next_run_at)
    return want


def _status(job_ref: str, conn: Redis) -> JobStatus | None:
    try:
        return Job.fetch(job_ref, connection=conn).get_status()
    except NoSuchJobError:
        return None


def _drop(job_ref: str, core: Core, conn: Redis, scheduler: Scheduler) -> None:
    scheduler.cancel(job_ref)
    update_queue(core.settings, conn).remove(job_ref)
    try:
        job = Job.fetch(job_ref, connection=conn)
    except NoSuchJobError:
        return
    if job.get_status() != JobStatus.STARTED:  # a running job re-checks its schedule itself
        job.delete()


def reconcile_locked(core: Core, conn: Redis) -> Report:
    """The reconcile itself; the caller holds reconcile_lock."""
    report = Report()
    want = _desired(core)
    scheduler = scheduler_for(core, conn)
    scheduled = {raw.decode() for raw in conn.zrange(scheduler.scheduled_jobs_key, 0, -1)}
    queued = set(update_queue(core.settings, conn).get_job_ids())
    have = {j for j in scheduled | queued if j.startswith(JOB_PREFIX)}
    for stale in sorted(have - want.keys()):
        _drop(stale, core, conn, scheduler)
        report.removed.append(stale)
    for wanted in sorted(want.keys() - scheduled):
        if wanted in queued or _status(wanted, conn) in PENDING:
            continue  # already handed to the worker
        schedule_id, due = want[wanted]
        scheduler.enqueue_at(due, FIRE_FUNC, schedule_id, int(due.timestamp()), job_id=wanted,
                             timeout=core.settings.update_lock_seconds + 60, job_result_ttl=86400,
                             job_description=f"scheduled update ({schedule_id})",
                             queue_name=core.settings.queue_name)
        report.added.append(wanted)
    conn.set(SYNCED_MARKER, "1")
    if report.added or report.removed:
        log.info("reconciled schedules: added %s, removed %s", report.added, report.removed)
    return report


def reconcile(core: Core, conn: Redis | None = None) -> Report:
    conn = conn or redis_connection(core.settings)
    with reconcile_lock(conn):
        return reconcile_locked(core, conn)


def reconcile_quietly(core: Core) -> Report | None:
    """After an API change: the database already holds it, so an unreachable Redis only delays the
    job until the scheduler's next reconcile; the request still succeeds."""
    try:
        return reconcile(core)
    except RedisError as exc:
        log.warning("schedules saved, but Redis is unreachable (%s); the scheduler reconciles later", exc)
        return None
