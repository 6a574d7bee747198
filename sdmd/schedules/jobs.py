"""The RQ job rq-scheduler enqueues when a schedule is due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rq import get_current_job

from sdmd.auth.identity import SCHEDULER
from sdmd.db.base import utcnow
from sdmd.schedules import repository as repo
from sdmd.schedules.sync import next_run_for, reconcile_lock, reconcile_locked
from sdmd.updates.cycle import run_update
from sdmd.updates.jobs import job_core
from sdmd.updates.queue import redis_connection

log = logging.getLogger("sdmd.schedules")


def fire_schedule(schedule_id: str, due_epoch: int) -> dict[str, Any]:
    """Run one occurrence, if the schedule still wants it; then line up the next one."""
    core = job_core()
    conn = redis_connection(core.settings)
    # Under the reconcile lock, so a reconcile never sees this occurrence half-advanced.
    with reconcile_lock(conn):
        with core.db.session() as session:
            schedule = repo.get(session, schedule_id)
            if schedule is None or not schedule.enabled:
                log.info("schedule %s is gone or disabled; not running", schedule_id)
                return {"result": "cancelled", "reason": "schedule deleted or disabled"}
            if schedule.next_run_at is None or int(schedule.next_run_at.timestamp()) != due_epoch:
                log.info("schedule %s changed since this run was planned; not running", schedule_id)
                return {"result": "cancelled", "reason": "schedule changed"}
            due = datetime.fromtimestamp(due_epoch, UTC)
            schedule.next_run_at = next_run_for(schedule, after=max(utcnow(), due))
            service_id, mode = schedule.service_id, schedule.mode
        reconcile_locked(core, conn)
    job = get_current_job()
    return run_update(core, conn, service_id=service_id, mode=mode, actor=SCHEDULER, trigger="schedule",
                      schedule_id=schedule_id, job_id=job.id if job else None)
