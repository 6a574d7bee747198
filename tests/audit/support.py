"""Writing audit rows straight into the database (INSERT is allowed), with any created_at."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from sdmd.core import Core


def db_time(core: Core, when: datetime):
    """The value as the database stores it: SQLite keeps UTCDateTime as 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if core.db.is_sqlite else when


def insert_at(core: Core, when: datetime, *, action: str = "test.old", actor: str | None = None,
              target: str | None = None) -> int:
    with core.db.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO audit_log (created_at, actor_id, action, target_name, outcome, details) "
            "VALUES (:created_at, :actor, :action, :target, 'ok', :details)"),
            {"created_at": db_time(core, when), "actor": actor, "action": action, "target": target,
             "details": json.dumps({})})
        return conn.execute(sa.text("SELECT max(id) FROM audit_log")).scalar_one()


def actions(core: Core) -> list[str]:
    with core.db.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars())
