"""The schedules API: validation, persistence, and rq-scheduler following every change (real Redis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from rq_scheduler import Scheduler

from sdmd.audit.models import AuditEntry
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.schedules.models import ScheduledTask, UpdateRun
from sdmd.services.definition import content_hash
from sdmd.services.models import DockerServiceConfig

SCHEDULED = Scheduler.scheduled_jobs_key


def add_service(core: Core, name: str) -> str:
    """A service row without containers: enough for the schedules API, no Docker needed."""
    text = f"name: {name}\nservices:\n  app:\n    image: 127.0.0.1:5000/sdmd-test/app:1\n"
    with core.db.session() as session:
        config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text, content_hash=content_hash(text))
        session.add(config)
    return config.id


def scheduled_jobs(redis: Redis) -> dict[str, float]:
    return {k.decode(): v for k, v in redis.zrange(SCHEDULED, 0, -1, withscores=True)}


@pytest.fixture
def service_id(core: Core, unique_name) -> str:
    return add_service(core, unique_name("svc"))


def body(service_id: str, **extra) -> dict:
    return {"service_id": service_id, "frequency": "daily", "time_of_day": "03:00", **extra}


def test_create_daily_schedule_defaults_and_its_rq_scheduler_job(client, core, service_id, redis):
    r = client.post("/api/schedules", json=body(service_id))
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["id"].startswith("sch_") and s["service_id"] == service_id
    assert (s["frequency"], s["time_of_day"], s["day_of_week"]) == ("daily", "03:00", None)
    assert (s["timezone"], s["enabled"], s["mode"]) == ("UTC", True, "update")
    assert s["last_run_at"] is None and s["last_result"] is None
    next_run = datetime.fromisoformat(s["next_run_at"])
    now = datetime.now(UTC)
    assert now < next_run <= now + timedelta(days=1)
    assert (next_run.hour, next_run.minute) == (3, 0)
    # rq-scheduler holds exactly one job for it, due at next_run_at.
    jobs = scheduled_jobs(redis)
    assert jobs == {f"sdmd-schedule-{s['id']}-{int(next_run.timestamp())}": next_run.timestamp()}
    assert client.get(f"/api/schedules/{s['id']}").json() == s
    assert [x["id"] for x in client.get("/api/schedules").json()] == [s["id"]]
    with core.db.sessions() as session:
        audit = session.query(AuditEntry).filter_by(action="schedule.create").one()
        assert audit.target_id == s["id"] and audit.outcome == "ok"


def test_weekly_schedule_in_a_timezone(client, service_id, redis):
    r = client.post("/api/schedules", json=body(service_id, frequency="weekly", day_of_week="sunday",
                                                timezone="Europe/Berlin", mode="check", time_of_day="02:30"))
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["day_of_week"], s["timezone"], s["mode"]) == ("Sunday", "Europe/Berlin", "check")
    local = datetime.fromisoformat(s["next_run_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert local.strftime("%A") == "Sunday"
    assert len(scheduled_jobs(redis)) == 1


def test_default_timezone_comes_from_settings(client, core, service_id):
    core.settings.timezone = "America/New_York"
    s = client.post("/api/schedules", json=body(service_id)).json()
    assert s["timezone"] == "America/New_York"
    local = datetime.fromisoformat(s["next_run_at"]).astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (3, 0)


@pytest.mark.parametrize(("change", "needle"), [
    ({"time_of_day": "25:00"}, "time_of_day"),
    ({"time_of_day": "3pm"}, "time_of_day"),
    ({"time_of_day": "24:00"}, "time_of_day"),
    ({"time_of_day": 300}, "time_of_day"),
    ({"frequency": "weekly"}, "day_of_week is required"),
    ({"day_of_week": "Sunday"}, "only allowed on a weekly"),
    ({"frequency": "weekly", "day_of_week": "Someday"}, "day_of_week"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"frequency": "hourly"}, "frequency"),
    ({"frequency": None}, "frequency"),
    ({"mode": "yolo"}, "mode"),
    ({"enabled": "yes"}, "enabled"),
    ({"cron": "* * * * *"}, "cron"),
])
def test_invalid_schedules_are_422_and_change_nothing(client, core, service_id, redis, change, needle):
    r = client.post("/api/schedules", json={**body(service_id), **change})
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"error", "details"} and needle in r.json()["details"]
    assert client.get("/api/schedules").json() == []
    assert scheduled_jobs(redis) == {}


def test_missing_fields_and_non_json_are_422(client, service_id):
    r = client.post("/api/schedules", json={"service_id": service_id})
    assert r.status_code == 422 and "time_of_day" in r.json()["details"] and "frequency" in r.json()["details"]
    r = client.post("/api/schedules", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and set(r.json()) == {"error", "details"}


def test_unknown_service_is_404(client, redis):
    r = client.post("/api/schedules", json=body("svc_doesnotexist"))
    assert r.status_code == 404
    assert r.json()["error"] == "service not found"
    assert client.get("/api/schedules").json() == [] and scheduled_jobs(redis) == {}


def test_unknown_schedule_is_404(client, service_id):
    for method in ("GET", "DELETE"):
        r = client.request(method, "/api/schedules/sch_nope")
        assert r.status_code == 404 and r.json()["error"] == "schedule not found"
    assert client.put("/api/schedules/sch_nope", json={"time_of_day": "04:00"}).status_code == 404
    assert client.get("/api/schedules/sch_nope/runs").status_code == 404


def test_update_moves_the_job_and_keeps_unnamed_fields(client, service_id, redis):
    s = client.post("/api/schedules", json=body(service_id, timezone="Europe/Berlin")).json()
    old_jobs = scheduled_jobs(redis)
    r = client.put(f"/api/schedules/{s['id']}", json={"frequency": "weekly", "day_of_week": "Monday",
                                                      "time_of_day": "04:15"})
    assert r.status_code == 200, r.text
    u = r.json()
    assert (u["frequency"], u["day_of_week"], u["time_of_day"], u["timezone"]) == \
        ("weekly", "Monday", "04:15", "Europe/Berlin")
    local = datetime.fromisoformat(u["next_run_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.strftime("%A"), local.hour, local.minute) == ("Monday", 4, 15)
    jobs = scheduled_jobs(redis)
    assert set(jobs).isdisjoint(old_jobs) and len(jobs) == 1
    assert jobs == {f"sdmd-schedule-{s['id']}-{int(local.timestamp())}": local.timestamp()}
    assert not redis.exists(f"rq:job:{next(iter(old_jobs))}")  # the old job itself is gone too

    # Sending back what GET returned is fine; read-only fields are ignored.
    again = client.put(f"/api/schedules/{s['id']}", json={**u, "last_result": "hacked"})
    assert again.status_code == 200 and again.json()["last_result"] is None

    # Switching to daily drops the weekday; naming a weekday on a daily schedule is refused.
    daily = client.put(f"/api/schedules/{s['id']}", json={"frequency": "daily"}).json()
    assert daily["day_of_week"] is None
    bad = client.put(f"/api/schedules/{s['id']}", json={"frequency": "daily", "day_of_week": "Monday"})
    assert bad.status_code == 422
    for change in ({"time_of_day": "25:00"}, {"timezone": "Nowhere/Land"}, {"frequency": None},
                   {"frequency": "weekly"}, {"nope": 1}):
        assert client.put(f"/api/schedules/{s['id']}", json=change).status_code == 422, change
    assert client.get(f"/api/schedules/{s['id']}").json() == daily
    assert client.put(f"/api/schedules/{s['id']}", json={"service_id": "svc_gone"}).status_code == 404


def test_disable_removes_the_job_and_enable_brings_it_back(client, service_id, redis):
    s = client.post("/api/schedules", json=body(service_id)).json()
    off = client.put(f"/api/schedules/{s['id']}", json={"enabled": False}).json()
    assert off["enabled"] is False and off["next_run_at"] is None
    assert scheduled_jobs(redis) == {}
    on = client.put(f"/api/schedules/{s['id']}", json={"enabled": True}).json()
    assert on["next_run_at"] is not None and len(scheduled_jobs(redis)) == 1


def test_delete_removes_the_row_and_the_job(client, core, service_id, redis):
    s = client.post("/api/schedules", json=body(service_id)).json()
    assert len(scheduled_jobs(redis)) == 1
    r = client.delete(f"/api/schedules/{s['id']}")
    assert r.status_code == 200 and r.json() == {"status": "deleted", "id": s["id"]}
    assert client.get(f"/api/schedules/{s['id']}").status_code == 404
    assert scheduled_jobs(redis) == {} and not redis.keys("rq:job:sdmd-schedule-*")


def test_deleting_a_service_deletes_its_schedules_and_runs(client, core, service_id, unique_name):
    other = add_service(core, unique_name("other"))
    mine = client.post("/api/schedules", json=body(service_id)).json()
    theirs = client.post("/api/schedules", json=body(other)).json()
    with core.db.session() as session:
        now = datetime.now(UTC)
        session.add(UpdateRun(service_id=service_id, schedule_id=mine["id"], mode="update", trigger="schedule",
                              result="up_to_date", images=[], started_at=now, finished_at=now))
    assert client.delete(f"/api/services/{service_id}").status_code == 200
    assert client.get(f"/api/schedules/{mine['id']}").status_code == 404
    assert [s["id"] for s in client.get("/api/schedules").json()] == [theirs["id"]]
    with core.db.sessions() as session:
        assert session.query(ScheduledTask).filter_by(service_id=service_id).count() == 0
        assert session.query(UpdateRun).filter_by(service_id=service_id).count() == 0


def test_schedule_by_service_name_and_list_filter(client, core, service_id, unique_name):
    other = add_service(core, unique_name("other"))
    with core.db.sessions() as session:
        name = session.get(DockerServiceConfig, service_id).name
    s = client.post("/api/schedules", json=body(name)).json()
    assert s["service_id"] == service_id and s["service_name"] == name
    client.post("/api/schedules", json=body(other))
    assert [x["id"] for x in client.get(f"/api/schedules?service_id={service_id}").json()] == [s["id"]]


def test_schedules_are_saved_when_redis_is_down(client, core, service_id):
    core.settings.redis_url = "unix:///nonexistent/sdmd-redis.sock"
    r = client.post("/api/schedules", json=body(service_id))
    assert r.status_code == 201  # the database is the source of truth; the scheduler catches up
    assert client.get("/api/schedules").json()[0]["id"] == r.json()["id"]


def test_runs_of_a_schedule_newest_first(client, core, service_id):
    s = client.post("/api/schedules", json=body(service_id)).json()
    assert client.get(f"/api/schedules/{s['id']}/runs").json() == []
    with core.db.session() as session:
        for result in ("up_to_date", "updated"):
            now = datetime.now(UTC)
            session.add(UpdateRun(service_id=service_id, schedule_id=s["id"], mode="update", trigger="schedule",
                                  result=result, images=[], started_at=now, finished_at=now))
    runs = client.get(f"/api/schedules/{s['id']}/runs").json()
    assert [r["result"] for r in runs] == ["updated", "up_to_date"]
    assert client.get(f"/api/schedules/{s['id']}/runs?limit=1").json()[0]["result"] == "updated"
    assert client.get(f"/api/schedules/{s['id']}/runs?limit=0").status_code == 422


def test_update_now_refuses_what_it_cannot_do(client, core, service_id, redis):
    r = client.post(f"/api/services/{service_id}/update?mode=later")
    assert r.status_code == 422 and "mode" in r.json()["details"]
    assert client.post(f"/api/services/{service_id}/update?wait=-1").status_code == 422
    r = client.post("/api/services/svc_nope/update")
    assert r.status_code == 404 and r.json()["error"] == "service not found"
    assert client.post("/api/services/ext_someproject/update").status_code == 409
    # No worker listens on the queue: say so instead of leaving a job nobody will run.
    r = client.post(f"/api/services/{service_id}/update")
    assert r.status_code == 503 and r.json()["error"] == "no update worker running"
    assert redis.llen(f"rq:queue:{core.settings.queue_name}") == 0
    r = client.get("/api/updates/jobs/no-such-job")
    assert r.status_code == 404 and set(r.json()) == {"error", "details"}


def test_update_now_when_redis_is_down_is_503(client, core, service_id):
    core.settings.redis_url = "unix:///nonexistent/sdmd-redis.sock"
    r = client.post(f"/api/services/{service_id}/update")
    assert r.status_code == 503 and r.json()["error"] == "job queue unavailable"
    assert client.get("/api/updates/jobs/x").status_code == 503
