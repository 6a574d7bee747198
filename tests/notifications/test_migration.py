"""Migration 0014 creates exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sdmd.db.models import Base

TABLES = {"notification_channels", "notification_deliveries", "notification_marks"}


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not hasattr(part, "table") else part.table.name
        if name:
            return getattr(getattr(part, "table", None), "name", None) or name
    return None


def test_the_migrated_schema_matches_the_models(core):
    with core.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    ours = [d for d in diffs if _table_of(d) in TABLES]
    assert ours == []
    with core.db.engine.connect() as conn:
        names = set(core.db.engine.dialect.get_table_names(conn))
    assert names >= TABLES
