"""Queries for channels, deliveries and marks (the only place that builds them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sdmd.db.base import Database, utcnow
from sdmd.notifications.models import NotificationChannel, NotificationDelivery, NotificationMark

PENDING, RETRYING, SENT, FAILED, CANCELLED = "pending", "retrying", "sent", "failed", "cancelled"
DIGEST_WAITING, DIGESTED = "digest", "digested"
STATUSES = (PENDING, RETRYING, SENT, FAILED, CANCELLED, DIGEST_WAITING, DIGESTED)


def channels(session: Session, *, enabled_only: bool = False) -> list[NotificationChannel]:
    stmt = sa.select(NotificationChannel).order_by(NotificationChannel.name)
    if enabled_only:
        stmt = stmt.where(NotificationChannel.enabled.is_(True))
    return list(session.scalars(stmt))


def channel(session: Session, channel_id: str) -> NotificationChannel | None:
    return session.get(NotificationChannel, channel_id)


def channel_by_name(session: Session, name: str) -> NotificationChannel | None:
    return session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == name))


def last_deliveries(session: Session, channel_ids: list[str], *,
                    status: str | None = None) -> dict[str, NotificationDelivery]:
    """The newest delivery of each channel (of that status, when given), in one query."""
    if not channel_ids:
        return {}
    newest = sa.select(sa.func.max(NotificationDelivery.id)).where(NotificationDelivery.channel_id.in_(channel_ids))
    if status:
        newest = newest.where(NotificationDelivery.status == status)
    newest = newest.group_by(NotificationDelivery.channel_id)
    rows = session.scalars(sa.select(NotificationDelivery).where(NotificationDelivery.id.in_(newest)))
    return {row.channel_id: row for row in rows if row.channel_id}


def deliveries(session: Session, *, channel_id: str | None, status: list[str] | None, event_type: str | None,
               before_id: int | None, limit: int) -> list[NotificationDelivery]:
    stmt = sa.select(NotificationDelivery).order_by(NotificationDelivery.id.desc()).limit(limit)
    if channel_id:
        stmt = stmt.where(NotificationDelivery.channel_id == channel_id)
    if status:
        stmt = stmt.where(NotificationDelivery.status.in_(status))
    if event_type:
        stmt = stmt.where(NotificationDelivery.event_type == event_type)
    if before_id:
        stmt = stmt.where(NotificationDelivery.id < before_id)
    return list(session.scalars(stmt))


def waiting_for_digest(session: Session, channel_id: str) -> list[NotificationDelivery]:
    return list(session.scalars(sa.select(NotificationDelivery).where(
        NotificationDelivery.channel_id == channel_id, NotificationDelivery.status == DIGEST_WAITING)
        .order_by(NotificationDelivery.id)))


def prune(session: Session, *, older_than: datetime) -> int:
    result = session.execute(sa.delete(NotificationDelivery).where(
        NotificationDelivery.created_at < older_than, NotificationDelivery.status != DIGEST_WAITING))
    return result.rowcount or 0


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(sa.select(NotificationDelivery.status, sa.func.count())
                           .group_by(NotificationDelivery.status)).all()
    return {status: n for status, n in rows}


def set_mark(db: Database, key: str, value: str) -> bool:
    """Store `value` under `key`; True when it differs from what was there (so the event is news)."""
    key = key[:191]
    value = value[:255]
    for _ in range(2):  # a concurrent first insert of the same key loses the race once, then compares
        try:
            with db.session() as session:
                row = session.get(NotificationMark, key, with_for_update=True)
                if row is None:
                    session.add(NotificationMark(key=key, value=value, updated_at=utcnow()))
                    return True
                if row.value == value:
                    return False
                row.value = value
                return True
        except IntegrityError:
            continue
    return False


def view(row: NotificationDelivery) -> dict[str, Any]:
    return {c: getattr(row, c) for c in (
        "id", "channel_id", "channel_name", "event_type", "severity", "title", "body", "service", "host", "link",
        "status", "attempts", "error", "digest_id", "occurred_at", "created_at", "last_attempt_at", "sent_at")}
