"""The latest reconcile rounds, kept in the database so every process's rounds show on the GitOps page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.gitops.models import GitopsRound

KEEP = 100
# Outcomes that are a problem with the stack, and remote states that need a person.
STACK_ERRORS = {"invalid", "failed"}
REMOTE_ERRORS = {"error", "diverged", "rejected"}


def errors_of(report: dict[str, Any]) -> list[dict[str, str | None]]:
    errors: list[dict[str, str | None]] = []
    if report.get("commit_error"):
        errors.append({"stack": None, "error": f"could not commit hand edits: {report['commit_error']}"})
    remote = report.get("remote") or {}
    if remote.get("state") in REMOTE_ERRORS:
        errors.append({"stack": None, "error": f"remote {remote['state']}: {remote.get('detail') or ''}".rstrip(": ")})
    for outcome in report.get("stacks") or []:
        if outcome.get("action") in STACK_ERRORS:
            errors.append({"stack": outcome["name"], "error": outcome.get("detail") or outcome["action"]})
    return errors


def record(core: Core, *, started_at: datetime, trigger: str, scope: list[str] | None,
           report: dict[str, Any] | None, failure: BaseException | None = None) -> None:
    report = report or {"commits": [], "remote": None, "stacks": []}
    errors = errors_of(report)
    if failure is not None:
        errors.append({"stack": None, "error": f"the round failed: {type(failure).__name__}: {failure}"[:2000]})
    with core.db.session() as session:
        session.add(GitopsRound(started_at=started_at, finished_at=utcnow(), trigger=trigger, scope=scope,
                                commits=list(report.get("commits") or []), remote=report.get("remote"),
                                stacks=[s for s in report.get("stacks") or [] if s.get("action") != "in_sync"],
                                errors=errors))
        session.flush()
        newest = session.scalar(select(func.max(GitopsRound.id))) or 0
        session.execute(delete(GitopsRound).where(GitopsRound.id <= newest - KEEP))


def latest(core: Core, limit: int = 10) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        rows = session.scalars(select(GitopsRound).order_by(GitopsRound.id.desc()).limit(limit)).all()
    return [{"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at, "trigger": r.trigger,
             "scope": r.scope, "commits": r.commits, "remote": r.remote, "stacks": r.stacks, "errors": r.errors}
            for r in rows]
