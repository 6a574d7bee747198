"""Schedule operations. The database is changed and committed first; rq-scheduler follows it."""

from __future__ import annotations

from typing import Any

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id, utcnow
from sdmd.errors import InvalidInput, NotFound
from sdmd.schedules import repository as repo
from sdmd.schedules.models import ScheduledTask
from sdmd.schedules.schemas import ScheduleCreate, ScheduleUpdate
from sdmd.schedules.sync import next_run_for, reconcile_quietly
from sdmd.schedules.timing import FREQUENCIES, ScheduleValueError, parse_day, parse_time_of_day, zone
from sdmd.services import repository as services_repo
from sdmd.updates import records
from sdmd.updates.cycle import MODES

FIELDS = ("service_id", "frequency", "day_of_week", "time_of_day", "timezone", "enabled", "mode")
TIMING = ("frequency", "day_of_week", "time_of_day", "timezone", "enabled")


def view(schedule: ScheduledTask, service_name: str | None = None) -> dict[str, Any]:
    return {
        "id": schedule.id, "service_id": schedule.service_id, "service_name": service_name,
        "frequency": schedule.frequency, "day_of_week": schedule.day_of_week,
        "time_of_day": schedule.time_of_day, "timezone": schedule.timezone, "enabled": schedule.enabled,
        "mode": schedule.mode, "next_run_at": schedule.next_run_at, "last_run_at": schedule.last_run_at,
        "last_result": schedule.last_result, "created_at": schedule.created_at, "updated_at": schedule.updated_at,
    }


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    """Check each value and their combination; every problem is reported at once."""
    problems: list[str] = []
    out = dict(values)
    if out["frequency"] not in FREQUENCIES:
        problems.append(f"frequency {out['frequency']!r} must be one of {', '.join(FREQUENCIES)}")
    if out["mode"] not in MODES:
        problems.append(f"mode {out['mode']!r} must be one of {', '.join(MODES)}")
    for key, check in (("time_of_day", parse_time_of_day), ("timezone", zone)):
        try:
            check(out[key])
        except ScheduleValueError as exc:
            problems.append(str(exc))
    if out["frequency"] == "weekly":
        if out["day_of_week"] is None:
            problems.append("day_of_week is required for a weekly schedule")
        else:
            try:
                out["day_of_week"] = parse_day(out["day_of_week"])
            except ScheduleValueError as exc:
                problems.append(str(exc))
    elif out["frequency"] == "daily" and out["day_of_week"] is not None:
        problems.append("day_of_week is only allowed on a weekly schedule")
    if problems:
        raise InvalidInput("invalid schedule", "; ".join(problems))
    return out


def _service(core: Core, service_id: str) -> tuple[str, str]:
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is None:
        raise NotFound("service not found", f"No service with ID {service_id} exists")
    return config.id, config.name


def _get(session, schedule_id: str) -> ScheduledTask:
    schedule = repo.get(session, schedule_id)
    if schedule is None:
        raise NotFound("schedule not found", f"No schedule with ID {schedule_id} exists")
    return schedule


def _refresh_next_run(schedule: ScheduledTask) -> None:
    schedule.next_run_at = next_run_for(schedule, after=utcnow()) if schedule.enabled else None


def list_schedules(core: Core, *, service_id: str | None = None) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        names = repo.service_names(session)
        return [view(s, names.get(s.service_id)) for s in repo.all_schedules(session, service_id)]


def get_schedule(core: Core, schedule_id: str) -> dict[str, Any]:
    with core.db.sessions() as session:
        schedule = _get(session, schedule_id)
        return view(schedule, repo.service_names(session).get(schedule.service_id))


def create_schedule(core: Core, *, actor: Actor | None, data: ScheduleCreate) -> dict[str, Any]:
    values = data.model_dump()
    values["timezone"] = values["timezone"] or core.settings.timezone
    values = _normalised(values)
    service_id, service_name = _service(core, values["service_id"])
    values["service_id"] = service_id
    with audited(core.db, actor, "schedule.create", target_name=service_name,
                 details={k: values[k] for k in FIELDS}) as audit:
        with core.db.session() as session:
            schedule = ScheduledTask(id=new_id("sch"), **values)
            _refresh_next_run(schedule)
            session.add(schedule)
            session.flush()
            result = view(schedule, service_name)
        audit.target_id = schedule.id
    reconcile_quietly(core)
    return result


def update_schedule(core: Core, schedule_id: str, *, actor: Actor | None, data: ScheduleUpdate) -> dict[str, Any]:
    changes = data.changes()
    with core.db.sessions() as session:
        current = {k: getattr(_get(session, schedule_id), k) for k in FIELDS}
    for key in ("service_id", "frequency", "time_of_day", "timezone", "enabled", "mode"):
        if key in changes and changes[key] is None:
            raise InvalidInput("invalid schedule", f"{key} cannot be null")
    if changes.get("frequency") == "daily" and "day_of_week" not in changes:
        changes["day_of_week"] = None  # switching to daily drops the weekday rather than refusing
    values = _normalised({**current, **changes})
    service_id, service_name = _service(core, values["service_id"])
    values["service_id"] = service_id
    with audited(core.db, actor, "schedule.update", target_id=schedule_id, target_name=service_name,
                 details={"changes": sorted(changes)}), core.db.session() as session:
        schedule = _get(session, schedule_id)
        retimed = any(getattr(schedule, k) != values[k] for k in TIMING)
        for key, value in values.items():
            setattr(schedule, key, value)
        if retimed:
            _refresh_next_run(schedule)
        session.flush()
        result = view(schedule, service_name)
    reconcile_quietly(core)
    return result


def delete_schedule(core: Core, schedule_id: str, *, actor: Actor | None) -> None:
    with audited(core.db, actor, "schedule.delete", target_id=schedule_id), core.db.session() as session:
        session.delete(_get(session, schedule_id))
    reconcile_quietly(core)


def schedule_runs(core: Core, schedule_id: str, *, limit: int) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        _get(session, schedule_id)
        return [records.run_view(r) for r in records.runs_for_schedule(session, schedule_id, limit)]
