"""Built-in mode: login, refresh, logout, users and sessions, the signing key (SQLite and PostgreSQL)."""

from __future__ import annotations

import stat
from datetime import timedelta

import jwt
import pytest
import sqlalchemy as sa

from sdmd.auth import sessions, users
from sdmd.auth.models import AuthSession
from sdmd.auth.tokens import SigningKey
from sdmd.db.base import utcnow
from sdmd.errors import Conflict, InvalidInput, NotFound
from tests.auth.conftest import bearer
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user


@pytest.fixture
def user(core):
    return ensure_user(core)


def login(client, **body):
    return client.post("/auth/login", json=body)


def test_login_returns_a_supabase_shaped_es256_token(anonymous_client, core, user):
    response = login(anonymous_client, username=TEST_EMAIL, password=TEST_PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["refresh_token"]
    assert body["user"] == {"id": user.id, "email": TEST_EMAIL}
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "ES256" and header["kid"] == core.auth.backend.key.kid
    claims = jwt.decode(body["access_token"], core.auth.backend.key.public_key, algorithms=["ES256"],
                        audience="authenticated")
    assert claims["sub"] == user.id and claims["email"] == TEST_EMAIL
    assert claims["role"] == "authenticated" and claims["aal"] == "aal1" and claims["iss"] == "sdmd"
    assert claims["amr"][0]["method"] == "password" and claims["exp"] - claims["iat"] == 3600
    assert claims["session_id"] and claims["is_anonymous"] is False
    assert anonymous_client.get("/api/audit", headers=bearer(body["access_token"])).status_code == 200


def test_email_is_a_synonym_of_username_and_names_are_case_insensitive(anonymous_client, user):
    assert login(anonymous_client, email=TEST_EMAIL, password=TEST_PASSWORD).status_code == 200
    assert login(anonymous_client, username=" Tester@Example.COM ", password=TEST_PASSWORD).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(anonymous_client, user):
    wrong = login(anonymous_client, username=TEST_EMAIL, password="wrong password")
    unknown = login(anonymous_client, username="nobody@example.com", password=TEST_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid credentials", "details": None}


@pytest.mark.parametrize("body", [
    {"password": "x"}, {"username": "a"}, {"username": "", "password": "x"}, {"username": "a", "password": ""},
    {"username": "a", "email": "b", "password": "x"}, {"username": "a", "password": "x" * 1025},
])
def test_malformed_login_is_422(anonymous_client, core, body):
    response = anonymous_client.post("/auth/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid input" and response.json()["details"]
    with core.db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuthSession)) == 0


def test_refresh_rotates_the_refresh_token_and_keeps_the_session(anonymous_client, user):
    first = login(anonymous_client, username=TEST_EMAIL, password=TEST_PASSWORD).json()
    response = anonymous_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    old_claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    new_claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert new_claims["session_id"] == old_claims["session_id"] and new_claims["sub"] == user.id
    assert anonymous_client.get("/api/audit", headers=bearer(second["access_token"])).status_code == 200
    reused = anonymous_client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["error"] == "invalid refresh token"
    bogus = anonymous_client.post("/auth/refresh", json={"refresh_token": "not-a-token"})
    assert bogus.status_code == 401


def test_logout_rejects_the_same_token_at_once_everywhere(anonymous_client, user):
    body = login(anonymous_client, username=TEST_EMAIL, password=TEST_PASSWORD).json()
    headers = bearer(body["access_token"])
    assert anonymous_client.get("/api/audit", headers=headers).status_code == 200
    assert anonymous_client.post("/auth/logout", headers=headers).status_code == 204
    for method, path in [("GET", "/api/audit"), ("GET", "/api/services"), ("GET", "/auth/user"),
                         ("POST", "/auth/logout")]:
        response = anonymous_client.request(method, path, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.json() == {"error": "unauthorized", "details": "session ended"}
    refreshed = anonymous_client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 401


def test_logout_ends_only_its_own_session(anonymous_client, user):
    one = login(anonymous_client, username=TEST_EMAIL, password=TEST_PASSWORD).json()["access_token"]
    two = login(anonymous_client, username=TEST_EMAIL, password=TEST_PASSWORD).json()["access_token"]
    assert anonymous_client.post("/auth/logout", headers=bearer(one)).status_code == 204
    assert anonymous_client.get("/auth/user", headers=bearer(two)).json() == {"id": user.id, "email": TEST_EMAIL}


def test_logout_without_a_token_is_401(anonymous_client):
    response = anonymous_client.post("/auth/logout")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_password_change_and_removal_end_sessions(client, core):
    assert client.get("/api/audit").status_code == 200
    users.set_password(core.db, email=TEST_EMAIL, password="another password")
    assert client.get("/api/audit").status_code == 401
    assert users.authenticate(core.db, email=TEST_EMAIL, password="another password") is not None
    assert users.authenticate(core.db, email=TEST_EMAIL, password=TEST_PASSWORD) is None
    token = core.auth.issue_local_session(email=TEST_EMAIL)["access_token"]
    assert client.get("/api/audit", headers=bearer(token)).status_code == 200
    users.remove(core.db, email=TEST_EMAIL)
    assert client.get("/api/audit", headers=bearer(token)).status_code == 401


def test_user_rules(core):
    created = users.create(core.db, email="Someone@Example.com", password="long enough")
    assert created.email == "someone@example.com"
    with pytest.raises(Conflict):
        users.create(core.db, email="someone@example.com", password="long enough")
    with pytest.raises(InvalidInput):
        users.create(core.db, email="has space", password="long enough")
    with pytest.raises(InvalidInput):
        users.create(core.db, email="short@example.com", password="short")
    with pytest.raises(NotFound):
        users.remove(core.db, email="ghost@example.com")
    assert [u.email for u in users.list_users(core.db)] == ["someone@example.com"]
    with core.db.session() as s:
        stored = s.scalar(sa.text("SELECT password_hash FROM users"))
    assert stored.startswith("$argon2id$") and "long enough" not in stored


def test_first_run_admin_has_a_random_password_or_the_configured_one(core):
    first = users.ensure_admin(core.db)
    assert first is not None
    admin, password = first
    assert admin.email == "admin" and password and len(password) >= 16
    assert users.authenticate(core.db, email="admin", password=password) is not None
    assert users.ensure_admin(core.db) is None  # users exist: nothing created, nothing printed
    users.remove(core.db, email="admin")
    configured = users.ensure_admin(core.db, email="boss@example.com", password="configured pw")
    assert configured is not None and configured[1] is None
    assert users.authenticate(core.db, email="boss@example.com", password="configured pw") is not None


def test_signing_key_is_generated_once_into_the_data_dir(core, settings):
    path = settings.data_dir / "auth" / "jwt-es256.pem"
    key = core.auth.backend.key
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SigningKey.load_or_create(path)
    assert again.kid == key.kid and path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key.jwk()["kty"] == "EC" and key.jwk()["crv"] == "P-256" and "d" not in key.jwk()


def test_stale_sessions_are_cleared_when_a_new_one_starts(core, user):
    expired = sessions.start(core.db, user_id=user.id, email=user.email, client_addr=None, lifetime=1)
    ended = sessions.start(core.db, user_id=user.id, email=user.email, client_addr=None, lifetime=3600)
    with core.db.session() as s:
        s.get(AuthSession, expired.session_id).expires_at = utcnow() - timedelta(seconds=5)
        s.get(AuthSession, ended.session_id).ended_at = utcnow() - timedelta(days=2)
    live = sessions.start(core.db, user_id=user.id, email=user.email, client_addr=None, lifetime=3600)
    with core.db.session() as s:
        assert s.scalars(sa.select(AuthSession.id)).all() == [live.session_id]
