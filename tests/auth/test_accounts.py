"""/api/users: built-in users managed from the web UI, audited, never locking everyone out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.auth import accounts, users
from sdmd.auth.identity import CLI
from sdmd.errors import Conflict
from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD, bearer, login
from tests.support_auth import TEST_EMAIL


def _audits(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_list_add_reset_and_remove(client, core):
    r = client.get("/api/users")
    assert r.status_code == 200
    [me] = r.json()
    assert me["email"] == TEST_EMAIL and me["is_you"] is True and me["active_sessions"] == 1
    assert me["last_login_at"] is not None

    # Added with a password of one's choosing: it logs in.
    r = client.post("/api/users", json={"email": "Ops@Example.com", "password": "ops password 1"})
    assert r.status_code == 201, r.text
    ops = r.json()["user"]
    assert ops["email"] == "ops@example.com" and ops["is_you"] is False and r.json()["password"] is None
    assert ops["last_login_at"] is None and ops["active_sessions"] == 0
    tokens = login(client, "ops@example.com", "ops password 1")

    # Added without one: a generated password, returned once, that works.
    r = client.post("/api/users", json={"email": "viewer"})
    assert r.status_code == 201
    generated = r.json()["password"]
    assert len(generated) >= 16
    assert users.authenticate(core.db, email="viewer", password=generated)
    assert [u["email"] for u in client.get("/api/users").json()] == ["ops@example.com", TEST_EMAIL, "viewer"]
    assert client.post("/api/users", json={"email": "viewer", "password": "whatever12"}).status_code == 409
    assert client.post("/api/users", json={"email": "bad name!", "password": "whatever12"}).status_code == 422
    assert client.post("/api/users", json={"email": "short", "password": "short"}).status_code == 422

    # A reset ends the user's sessions at once.
    assert client.get("/auth/user", headers=bearer(tokens["access_token"])).status_code == 200
    r = client.post(f"/api/users/{ops['id']}/password", json={})
    assert r.status_code == 200 and r.json()["password"]
    assert client.get("/auth/user", headers=bearer(tokens["access_token"])).status_code == 401
    assert users.authenticate(core.db, email="ops@example.com", password=r.json()["password"])
    r = client.post(f"/api/users/{ops['id']}/password", json={"password": "chosen password"})
    assert r.status_code == 200 and r.json()["password"] is None
    assert users.authenticate(core.db, email="ops@example.com", password="chosen password")

    r = client.delete(f"/api/users/{ops['id']}")
    assert r.status_code == 200 and r.json()["email"] == "ops@example.com"
    assert not users.authenticate(core.db, email="ops@example.com", password="chosen password")
    assert client.delete(f"/api/users/{ops['id']}").status_code == 404
    assert client.post("/api/users/nope/password", json={}).status_code == 404

    # Audited by the acting user; no password in any record.
    me_id = me["id"]
    for action, count in (("user.create", 2), ("user.passwd", 2), ("user.remove", 1)):
        rows = [a for a in _audits(core, action) if a.outcome == "ok"]
        assert len(rows) == count, action
        assert all(a.actor_id == me_id for a in rows)
    every = str([a.details for a in _audits(core, "user.create") + _audits(core, "user.passwd")])
    assert generated not in every and "chosen password" not in every


def test_nobody_removes_themselves_or_the_last_user(client, core):
    [me] = client.get("/api/users").json()
    r = client.delete(f"/api/users/{me['id']}")
    assert r.status_code == 409 and r.json()["error"] == "you cannot remove yourself"
    assert _audits(core, "user.remove")[-1].outcome == "error"
    # An actor that is not a user (the CLI) still cannot remove the only one left.
    with pytest.raises(Conflict, match="the last user cannot be removed"):
        accounts.remove_account(core, actor=CLI, user_id=me["id"])
    assert users.count(core.db) == 1


def test_supabase_mode_manages_users_in_supabase(supabase_client):
    tokens = login(supabase_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)
    r = supabase_client.get("/api/users", headers=bearer(tokens["access_token"]))
    assert r.status_code == 409 and r.json()["error"] == "users are managed in Supabase"
    r = supabase_client.post("/api/users", json={"email": "x@example.com"}, headers=bearer(tokens["access_token"]))
    assert r.status_code == 409


def test_removing_a_user_revokes_their_api_tokens(client, anonymous_client, core):
    """A token acts as its owner; removed through the API (as through the CLI), the owner takes them along."""
    client.post("/api/users", json={"email": "ci-owner", "password": "ci owner password"})
    session = login(client, "ci-owner", "ci owner password")
    made = client.post("/api/security/tokens", json={"name": "pipeline"}, headers=bearer(session["access_token"]))
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert anonymous_client.get("/api/services", headers=bearer(token)).status_code == 200
    owner = next(u for u in client.get("/api/users").json() if u["email"] == "ci-owner")
    assert client.delete(f"/api/users/{owner['id']}").status_code == 200
    refused = anonymous_client.get("/api/services", headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.text, refused.text
    assert _audits(core, "user.remove")[-1].details["api_tokens_revoked"] == 1
