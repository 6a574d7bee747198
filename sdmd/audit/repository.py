"""Reading the audit log: filters and keyset pagination, newest first."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.db.base import Database


def page(db: Database, *, actor: str | None = None, action: str | None = None, target: str | None = None,
         token: str | None = None, since: datetime | None = None, until: datetime | None = None, limit: int = 50,
         after: tuple[datetime, int] | None = None) -> list[AuditEntry]:
    """Up to `limit` entries ordered by (created_at, id) descending, strictly after the `after` position.

    Keyset pagination: rows written while a reader pages are newer, so they never shift a later page.
    """
    query = sa.select(AuditEntry)
    if actor:
        query = query.where(sa.or_(AuditEntry.actor_id == actor, AuditEntry.actor_email == actor))
    if action:
        if action.endswith("*"):
            prefix = action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditEntry.action.like(prefix + "%", escape="\\"))
        else:
            query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(sa.or_(AuditEntry.target_id == target, AuditEntry.target_name == target))
    if token:
        query = query.where(AuditEntry.actor_token_id == token)
    if since:
        query = query.where(AuditEntry.created_at >= since)
    if until:
        query = query.where(AuditEntry.created_at < until)
    if after:
        created_at, entry_id = after
        query = query.where(sa.or_(AuditEntry.created_at < created_at,
                                   sa.and_(AuditEntry.created_at == created_at, AuditEntry.id < entry_id)))
    query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    with db.session() as session:
        return list(session.scalars(query))


def get(db: Database, *, entry_id: int) -> AuditEntry | None:
    with db.session() as session:
        return session.get(AuditEntry, entry_id)
