"""Queries for scheduled_tasks; nothing else in sdmd writes SQL for this table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sdmd.schedules.models import ScheduledTask
from sdmd.services.models import DockerServiceConfig


def all_schedules(session: Session, service_id: str | None = None) -> list[ScheduledTask]:
    stmt = select(ScheduledTask).order_by(ScheduledTask.created_at, ScheduledTask.id)
    if service_id is not None:
        stmt = stmt.where(ScheduledTask.service_id == service_id)
    return list(session.scalars(stmt))


def get(session: Session, schedule_id: str) -> ScheduledTask | None:
    return session.get(ScheduledTask, schedule_id)


def service_names(session: Session) -> dict[str, str]:
    return {row.id: row.name for row in session.execute(select(DockerServiceConfig.id, DockerServiceConfig.name))}
