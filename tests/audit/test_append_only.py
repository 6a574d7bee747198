"""The audit log is append-only in the database itself; only the retention purge deletes, only old rows."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.audit.log import record
from sdmd.audit.retention import purge
from sdmd.auth.identity import Actor
from sdmd.db.base import utcnow
from tests.audit.support import actions, insert_at
from tests.support import wait_until

ALICE = Actor(id="u1", email="alice@example.com", client_addr="127.0.0.1")


def refused(core, statement: str, params: dict | None = None) -> str:
    with pytest.raises(sa.exc.DBAPIError) as caught, core.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params or {})
    message = str(caught.value.orig)
    assert "append-only" in message, message
    return message


@pytest.fixture
def entry(core) -> int:
    record(core.db, actor=ALICE, action="service.create", target_id="svc_1", target_name="web")
    with core.db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT id FROM audit_log WHERE action = 'service.create'")).scalar_one()


def snapshot(core):
    with core.db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT id, actor_id, action, target_name, outcome FROM audit_log "
                                    "ORDER BY id")).all()


def test_update_issued_at_the_database_fails(core, entry):
    before = snapshot(core)
    refused(core, "UPDATE audit_log SET outcome = 'error' WHERE id = :id", {"id": entry})
    refused(core, "UPDATE audit_log SET actor_id = 'someone-else'")
    assert snapshot(core) == before


def test_delete_issued_at_the_database_fails(core, entry):
    before = snapshot(core)
    refused(core, "DELETE FROM audit_log WHERE id = :id", {"id": entry})
    refused(core, "DELETE FROM audit_log")
    assert snapshot(core) == before


def test_old_rows_cannot_be_deleted_outside_the_purge_either(core):
    old = insert_at(core, utcnow() - timedelta(days=200))
    refused(core, "DELETE FROM audit_log WHERE id = :id", {"id": old})
    assert actions(core) == ["test.old"]


def test_upsert_and_replace_cannot_overwrite_a_record(core, entry):
    before = snapshot(core)
    refused(core, "INSERT INTO audit_log (id, created_at, action, outcome, details) "
                  "VALUES (:id, :at, 'forged', 'ok', '{}') ON CONFLICT (id) DO UPDATE SET action = 'forged'",
            {"id": entry, "at": utcnow().strftime("%Y-%m-%d %H:%M:%S.%f") if core.db.is_sqlite else utcnow()})
    if core.db.is_sqlite:  # REPLACE deletes the colliding row without firing DELETE triggers
        refused(core, "INSERT OR REPLACE INTO audit_log (id, created_at, action, outcome, details) "
                      "VALUES (:id, '2030-01-01 00:00:00.000000', 'forged', 'ok', '{}')", {"id": entry})
    assert snapshot(core) == before


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_truncate_fails_on_postgresql(core, entry):
    refused(core, "TRUNCATE audit_log")
    assert len(snapshot(core)) == 1


def test_purge_removes_a_91_day_old_row_and_keeps_an_89_day_old_one(core):
    now = utcnow()
    old = insert_at(core, now - timedelta(days=91), action="test.91")
    insert_at(core, now - timedelta(days=89), action="test.89")
    insert_at(core, now - timedelta(days=90, minutes=-5), action="test.90-")  # just younger than 90 days
    record(core.db, actor=ALICE, action="service.update")
    assert purge(core.db) == 1
    assert actions(core) == ["test.89", "test.90-", "service.update", "audit.purge"]
    with core.db.engine.connect() as conn:
        details = conn.execute(sa.text("SELECT details FROM audit_log WHERE action = 'audit.purge'")).scalar_one()
    assert "1" in str(details) and old not in {r[0] for r in snapshot(core)}
    assert purge(core.db) == 0  # nothing left to purge: no further record
    assert actions(core)[-1] == "audit.purge" and actions(core).count("audit.purge") == 1


def test_the_purge_gate_does_not_open_younger_rows(core):
    young = insert_at(core, utcnow() - timedelta(days=89), action="test.young")
    with pytest.raises(sa.exc.DBAPIError), core.db.engine.begin() as conn:
        if core.db.is_sqlite:
            conn.execute(sa.text("INSERT INTO audit_purge_gate (open) VALUES (1)"))
        else:
            conn.execute(sa.text("SET LOCAL sdmd.audit_purge = 'on'"))
        conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": young})
    assert actions(core) == ["test.young"]
    purge(core.db)
    assert actions(core) == ["test.young"]
    with core.db.engine.connect() as conn:  # the purge leaves its gate closed
        if core.db.is_sqlite:
            assert conn.execute(sa.text("SELECT count(*) FROM audit_purge_gate")).scalar_one() == 0


def test_the_api_purges_at_start(core):
    insert_at(core, utcnow() - timedelta(days=120), action="test.ancient")
    with TestClient(create_app(core=core)):
        wait_until(lambda: "test.ancient" not in actions(core), timeout=10, what="purge at API start")
    assert actions(core) == ["audit.purge"]


def test_audit_purge_command(core, settings, database_url):
    insert_at(core, utcnow() - timedelta(days=95))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDMD_", "SUPABASE_"))}
    env.update(SDMD_DATA_DIR=str(settings.data_dir), SDMD_DATABASE_URL=database_url)
    result = subprocess.run([sys.executable, "-m", "sdmd.cli", "audit", "purge"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "purged 1 audit records older than 90 days" in result.stdout
    assert actions(core) == ["audit.purge"]
