"""Personal access tokens (SQLite and PostgreSQL): shown once, hashed at rest, Bearer on the whole API,
named in every audit record, last-used time, expiry, revocation; they cannot make tokens themselves."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.auth.identity import CLI
from sdmd.auth.models import ApiToken
from sdmd.db.base import utcnow
from tests.auth.conftest import bearer
from tests.support import IMAGE_V1, SLEEPER


def make(client, name="ci deploy", days=30):
    response = client.post("/api/security/tokens", json={"name": name, "expires_in_days": days})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_token_is_shown_once_and_only_its_hash_is_kept(client, core):
    made = make(client)
    assert made["token"].startswith("sdmd_pat_") and made["id"].startswith("pat_")
    assert made["owner_email"] == "tester@example.com" and made["last_used_at"] is None
    left = datetime.fromisoformat(made["expires_at"]) - utcnow()
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
    listed = client.get("/api/security/tokens").json()
    assert [t["id"] for t in listed] == [made["id"]] and "token" not in listed[0]
    with core.db.sessions() as session:
        row = session.get(ApiToken, made["id"])
    assert row.token_hash == hashlib.sha256(made["token"].encode()).hexdigest()
    assert made["token"] not in str([getattr(row, c.name) for c in ApiToken.__table__.columns])


def test_a_token_works_on_the_whole_api_and_the_audit_names_it(client, anonymous_client, core, unique_name):
    made = make(client, name="release pipeline")
    pat = bearer(made["token"])
    assert anonymous_client.get("/api/services", headers=pat).status_code == 200
    assert anonymous_client.get("/auth/user", headers=pat).json() == {"id": made["owner_id"],
                                                                      "email": "tester@example.com"}
    name = unique_name("pat")
    created = anonymous_client.post("/api/services", headers=pat, json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert created.status_code == 201, created.text
    assert anonymous_client.delete(f"/api/services/{name}", headers=pat).status_code == 200
    with core.db.sessions() as session:
        rows = list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action.in_(
            ["service.create", "service.delete"])).order_by(AuditEntry.id)))
    assert [(r.action, r.actor_email, r.actor_token_id, r.actor_token_name) for r in rows] == [
        ("service.create", "tester@example.com", made["id"], "release pipeline"),
        ("service.delete", "tester@example.com", made["id"], "release pipeline")]
    # The audit API can be filtered by the token; the session that made it is named there too.
    by_token = client.get("/api/audit", params={"token": made["id"]}).json()["items"]
    assert {i["action"] for i in by_token} == {"service.create", "service.delete"}
    creation = client.get("/api/audit", params={"action": "token.create"}).json()["items"][0]
    assert creation["actor_token_name"] == "login session" and creation["target_id"] == made["id"]
    listed = client.get("/api/security/tokens").json()[0]
    assert listed["last_used_at"] is not None


def test_revoked_expired_and_unknown_tokens_are_401(client, anonymous_client, core):
    made = make(client)
    pat = bearer(made["token"])
    assert anonymous_client.get("/api/audit", headers=pat).status_code == 200
    revoked = client.delete(f"/api/security/tokens/{made['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = anonymous_client.get("/api/audit", headers=pat)
    assert refused.status_code == 401 and refused.json() == {"error": "unauthorized", "details": "API token revoked"}
    assert client.get("/api/security/tokens").json() == []
    assert len(client.get("/api/security/tokens", params={"include_revoked": True}).json()) == 1
    assert client.delete(f"/api/security/tokens/{made['id']}").status_code == 200  # again: fine
    assert client.delete("/api/security/tokens/pat_nope").status_code == 404

    later = make(client, days=1)
    with core.db.session() as session:
        session.execute(sa.update(ApiToken).where(ApiToken.id == later["id"])
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    assert anonymous_client.get("/api/audit", headers=bearer(later["token"])).json()["details"] == "API token expired"
    assert anonymous_client.get("/api/audit", headers=bearer("sdmd_pat_" + "x" * 43)).status_code == 401
    never = make(client, name="forever", days=None)
    assert never["expires_at"] is None


def test_tokens_cannot_make_tokens_or_change_two_factor_settings(client, anonymous_client):
    pat = bearer(make(client)["token"])
    for method, path, body in (("POST", "/api/security/tokens", {"name": "escalate"}),
                               ("POST", "/api/security/mfa/enrol", None),
                               ("PUT", "/api/security/settings", {"require_mfa": False})):
        response = anonymous_client.request(method, path, headers=pat, json=body)
        assert response.status_code == 403 and response.json()["error"] == "a login session is needed", path


def test_bad_token_requests_are_422(client):
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": "ok", "expires_in_days": 0},
                 {"name": "ok", "expires_in_days": 3651}, {}):
        assert client.post("/api/security/tokens", json=body).status_code == 422, body
    assert client.get("/api/security/tokens").json() == []


def test_with_2fa_required_only_tokens_made_by_an_aal2_session_work(client, anonymous_client, core):
    old = make(client)  # made by an aal1 session
    body = core.auth.issue_local_session(email="tester@example.com", aal="aal2")
    strong = anonymous_client.post("/api/security/tokens", headers=bearer(body["access_token"]),
                                   json={"name": "strong"}).json()
    core.auth.policy.set_require_mfa(True, actor=CLI)
    assert anonymous_client.get("/api/audit", headers=bearer(old["token"])).status_code == 403
    assert anonymous_client.get("/api/audit", headers=bearer(strong["token"])).status_code == 200
