"""What every update run leaves behind: a run row, the schedule's last result, one audit record."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sdmd.audit.log import record
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.schedules.models import ScheduledTask, UpdateRun

log = logging.getLogger("sdmd.updates")

UP_TO_DATE = "up_to_date"
UPDATE_AVAILABLE = "update_available"
UPDATED = "updated"
ROLLED_BACK = "rolled_back"
ERROR = "error"
SKIPPED = "skipped"
UNKNOWN = "unknown"  # every image was built or imported locally: no registry digest to compare with
RESULTS = (UP_TO_DATE, UPDATE_AVAILABLE, UPDATED, ROLLED_BACK, ERROR, SKIPPED, UNKNOWN)


@dataclass
class Outcome:
    result: str
    reason: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    commit: str | None = None  # a tag bump's commit of compose.yaml
    revert_commit: str | None = None  # ... and its revert, after a failed gate


@dataclass(frozen=True)
class RunContext:
    service_id: str
    service_name: str
    mode: str
    trigger: str
    actor: Actor
    schedule_id: str | None = None
    job_id: str | None = None
    host: str = "local"  # the service's host: every pull, compose and gate call of the run goes there


# The run's `images` keep their first shape; what the registry check found is in `checks`.
IMAGE_KEYS = ("service", "image", "old_id", "new_id", "changed")


def run_view(run: UpdateRun) -> dict[str, Any]:
    return {
        "id": run.id, "service_id": run.service_id, "schedule_id": run.schedule_id, "mode": run.mode,
        "trigger": run.trigger, "actor": run.actor_id, "job_id": run.job_id, "result": run.result,
        "reason": run.reason, "images": [{k: i.get(k) for k in IMAGE_KEYS} for i in run.images or []],
        "checks": [i for i in run.images or [] if "status" in i], "commit": run.commit,
        "revert_commit": run.revert_commit, "started_at": run.started_at, "finished_at": run.finished_at,
    }


def write_run(core: Core, ctx: RunContext, outcome: Outcome, *, started: datetime,
              finished: datetime) -> dict[str, Any]:
    run = UpdateRun(service_id=ctx.service_id, schedule_id=ctx.schedule_id, mode=ctx.mode, trigger=ctx.trigger,
                    actor_id=ctx.actor.id, job_id=ctx.job_id, result=outcome.result, reason=outcome.reason,
                    images=outcome.images, commit=outcome.commit, revert_commit=outcome.revert_commit,
                    started_at=started, finished_at=finished)
    view: dict[str, Any]
    try:
        with core.db.session() as session:
            session.add(run)
            if ctx.schedule_id:
                schedule = session.get(ScheduledTask, ctx.schedule_id)
                if schedule is not None:
                    schedule.last_run_at = finished
                    schedule.last_result = outcome.result
            session.flush()
            view = run_view(run)
    except IntegrityError:  # the service was deleted while it was being updated
        log.warning("service %s vanished during its update; run not kept", ctx.service_id)
        view = run_view(run)
    record(core.db, actor=ctx.actor, action="update.run",
           outcome="error" if outcome.result in (ERROR, ROLLED_BACK) else "ok",
           target_id=ctx.service_id, target_name=ctx.service_name,
           details={"mode": ctx.mode, "trigger": ctx.trigger, "host": ctx.host, "result": outcome.result,
                    "reason": outcome.reason, "schedule_id": ctx.schedule_id, "job_id": ctx.job_id,
                    "run_id": view.get("id"),
                    **({"commit": outcome.commit} if outcome.commit else {}),
                    **({"revert_commit": outcome.revert_commit} if outcome.revert_commit else {}),
                    "images": [{k: i.get(k) for k in ("service", "image", "old_id", "new_id")}
                               for i in outcome.images],
                    **({"tags": [{"image": i["image"], "from": i["tag"], "to": i["candidate_tag"]} for i in bumped]}
                       if (bumped := [i for i in outcome.images if i.get("candidate_tag") not in (None, i.get("tag"))])
                       else {})})
    return view


def runs_for_schedule(session: Session, schedule_id: str, limit: int) -> list[UpdateRun]:
    stmt = (select(UpdateRun).where(UpdateRun.schedule_id == schedule_id)
            .order_by(UpdateRun.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def superseded_images(session: Session, service_id: str) -> set[str]:
    """Images an earlier run left on disk on purpose: the previous version kept for a rollback
    by the last successful update, and candidates a check or a rolled-back run pulled since."""
    runs = list(session.scalars(select(UpdateRun).where(UpdateRun.service_id == service_id)
                                .order_by(UpdateRun.id.desc()).limit(200)))
    ids: set[str] = set()
    for run in runs:
        for image in run.images or []:
            if run.result == UPDATED and image.get("changed") and image.get("old_id"):
                ids.add(image["old_id"])
            elif run.result in (UPDATE_AVAILABLE, ROLLED_BACK) and image.get("new_id"):
                ids.add(image["new_id"])
        if run.result == UPDATED:
            break  # older runs' images were cleaned up by that update
    return ids


def failed_candidates(session: Session, service_id: str) -> dict[tuple[str, str], datetime]:
    """{(image, candidate digest): when} that the service's last update-mode run rolled back.

    Schedules do not try those again (a bump and a revert commit every night); a newer build or tag
    has another digest, and a manual run retries regardless."""
    last = session.scalar(select(UpdateRun).where(UpdateRun.service_id == service_id, UpdateRun.mode == "update",
                                                  UpdateRun.result.in_([UPDATED, ROLLED_BACK, UP_TO_DATE]))
                          .order_by(UpdateRun.id.desc()).limit(1))
    if last is None or last.result != ROLLED_BACK:
        return {}
    return {(i["image"], i["candidate_digest"]): last.finished_at for i in last.images or []
            if i.get("status") == UPDATE_AVAILABLE and i.get("candidate_digest")}
