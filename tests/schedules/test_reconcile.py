"""The database is the source of truth: rq-scheduler is rebuilt from it by a real `sdmd scheduler`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, Worker
from rq.job import Job

from sdmd.schedules.models import ScheduledTask, UpdateRun
from tests.schedules.test_api import add_service, body, scheduled_jobs
from tests.support import wait_until

pytestmark = pytest.mark.one_database


def _schedule(client, service_id: str, **extra) -> dict:
    # An hour ago, so the next run is almost a day away and nothing fires during the test.
    at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%H:%M")
    r = client.post("/api/schedules", json=body(service_id, time_of_day=at, **extra))
    assert r.status_code == 201, r.text
    return r.json()


def _job_for(s: dict) -> str:
    return f"sdmd-schedule-{s['id']}-{int(datetime.fromisoformat(s['next_run_at']).timestamp())}"


def test_a_flushed_redis_gets_its_schedules_back(client, core, unique_name, redis, processes):
    schedules = [_schedule(client, add_service(core, unique_name("svc"))) for _ in range(3)]
    disabled = _schedule(client, add_service(core, unique_name("off")), enabled=False)
    expected = {_job_for(s): datetime.fromisoformat(s["next_run_at"]).timestamp() for s in schedules}
    assert scheduled_jobs(redis) == expected

    processes.scheduler()
    processes.worker()
    redis.flushdb()
    assert scheduled_jobs(redis) == {} and Worker.count(connection=redis) == 0
    # The scheduler's periodic reconcile (1 s in tests) rebuilds exactly the enabled schedules.
    wait_until(lambda: scheduled_jobs(redis) == expected, timeout=20, what=f"jobs restored\n{processes.logs()}")
    for job_id in expected:
        job = Job.fetch(job_id, connection=redis)
        assert job.func_name == "sdmd.schedules.jobs.fire_schedule"
        assert job.args[0] in {s["id"] for s in schedules}
    assert not any(disabled["id"] in j for j in scheduled_jobs(redis))
    # The worker registers again too, so `POST /api/services/{id}/update` finds it.
    wait_until(lambda: Worker.count(connection=redis) == 1, timeout=20, what="worker registered again")


def test_scheduler_start_reconciles(client, core, unique_name, redis, processes):
    s = _schedule(client, add_service(core, unique_name("svc")))
    redis.flushdb()
    with core.db.session() as session:  # a schedule added while Redis was unreachable
        session.get(ScheduledTask, s["id"]).next_run_at = None
    proc = processes.scheduler()
    jobs = scheduled_jobs(redis)
    assert len(jobs) == 1 and next(iter(jobs)).startswith(f"sdmd-schedule-{s['id']}-")
    with core.db.sessions() as session:
        assert session.get(ScheduledTask, s["id"]).next_run_at is not None
    processes.stop(proc)
    assert proc.returncode == 0, processes.logs()  # SIGTERM is a clean stop


def test_a_schedule_deleted_behind_the_apis_back_never_fires(client, core, unique_name, redis, processes):
    service_id = add_service(core, unique_name("svc"))
    keep, gone = _schedule(client, service_id), _schedule(client, service_id)
    assert set(scheduled_jobs(redis)) == {_job_for(keep), _job_for(gone)}
    with core.db.session() as session:
        session.delete(session.get(ScheduledTask, gone["id"]))
    processes.scheduler()
    wait_until(lambda: set(scheduled_jobs(redis)) == {_job_for(keep)}, timeout=20,
               what=f"stale job cancelled\n{processes.logs()}")
    assert not redis.exists(f"rq:job:{_job_for(gone)}")


def test_the_job_rechecks_its_schedule(client, core, unique_name, redis, processes):
    """Even a job that reaches the worker for a deleted or changed schedule does nothing."""
    service_id = add_service(core, unique_name("svc"))
    s = _schedule(client, service_id)
    due = int(datetime.fromisoformat(s["next_run_at"]).timestamp())
    queue = Queue(core.settings.queue_name, connection=redis)
    processes.worker()
    stale = queue.enqueue("sdmd.schedules.jobs.fire_schedule", s["id"], due - 3600)
    assert stale.latest_result(timeout=30).return_value == {"result": "cancelled", "reason": "schedule changed"}
    client.delete(f"/api/schedules/{s['id']}")
    deleted = queue.enqueue("sdmd.schedules.jobs.fire_schedule", s["id"], due)
    assert deleted.latest_result(timeout=30).return_value["result"] == "cancelled"
    with core.db.sessions() as session:
        assert session.query(UpdateRun).count() == 0
