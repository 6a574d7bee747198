"""Exactly one audit record per authentication action, in both modes; passwords never stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sdmd.audit.log import redact
from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD, bearer
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user


@pytest.fixture(params=["local", "supabase"])
def mode(request, make_gotrue, make_supabase_client):
    if request.param == "local":
        core, anonymous_client = request.getfixturevalue("core"), request.getfixturevalue("anonymous_client")
        ensure_user(core)
        return anonymous_client, core, TEST_EMAIL, TEST_PASSWORD
    gotrue = make_gotrue("ES256")
    client = make_supabase_client(gotrue)
    return client, client.app.state.core, SUPABASE_EMAIL, SUPABASE_PASSWORD


def rows(core) -> list[dict]:
    with core.db.engine.connect() as conn:
        result = conn.execute(sa.text("SELECT * FROM audit_log WHERE action LIKE 'auth.%' ORDER BY id"))
        return [dict(r._mapping) for r in result]


def dump(core) -> str:
    with core.db.engine.connect() as conn:
        return repr(conn.execute(sa.text("SELECT * FROM audit_log")).all())


def test_login_logout_and_failures_each_leave_exactly_one_record(mode):
    client, core, username, password = mode
    body = client.post("/auth/login", json={"username": username, "password": password}).json()
    assert [r["action"] for r in rows(core)] == ["auth.login"]
    login = rows(core)[0]
    assert login["outcome"] == "ok" and login["actor_email"] == username and login["actor_id"]
    assert login["client_addr"] == "testclient" and login["target_name"] == username

    assert client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 200
    assert len(rows(core)) == 1  # a refresh continues the session: not a new action

    assert client.post("/auth/login", json={"username": username, "password": "Wr0ng-s3cret"}).status_code == 401
    failed = rows(core)[-1]
    assert failed["action"] == "auth.login_failed" and failed["outcome"] == "error"
    assert failed["actor_id"] is None and failed["target_name"] == username
    assert "invalid credentials" in str(failed["details"])

    assert client.post("/auth/logout", headers=bearer(body["access_token"])).status_code == 204
    assert [r["action"] for r in rows(core)] == ["auth.login", "auth.login_failed", "auth.logout"]
    assert rows(core)[-1]["actor_id"] == login["actor_id"] and rows(core)[-1]["outcome"] == "ok"

    text = dump(core)
    for secret in (password, "Wr0ng-s3cret", body["access_token"], body["refresh_token"]):
        assert secret not in text


def test_throttled_attempt_is_recorded_once(mode):
    client, core, username, _ = mode
    for _ in range(6):
        client.post("/auth/login", json={"username": username, "password": "wrong-password"})
    reasons = [str(r["details"]) for r in rows(core)]
    assert len(reasons) == 6
    assert sum("throttled" in r for r in reasons) == 1 and sum("invalid credentials" in r for r in reasons) == 5


def test_redaction_of_secrets():
    details = {"password": "p", "new_password": "n", "environment": {"A": "1", "B": "2"},
               "nested": [{"refresh_token": "r"}, {"environment": ["X=1", "Y"]}], "image": "app:1"}
    assert redact(details) == {
        "password": "[redacted]", "new_password": "[redacted]", "environment": {"A": "[redacted]", "B": "[redacted]"},
        "nested": [{"refresh_token": "[redacted]"}, {"environment": ["X=[redacted]", "Y=[redacted]"]}],
        "image": "app:1"}
