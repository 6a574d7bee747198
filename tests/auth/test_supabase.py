"""Supabase mode against the GoTrue contract double (HS256 and ES256; RS256 where it matters)."""

from __future__ import annotations

import httpx
import jwt
import pytest
import sqlalchemy as sa

from sdmd.auth.errors import InvalidToken
from sdmd.auth.jwks import JwksCache
from sdmd.auth.models import EndedSession
from sdmd.config import Settings
from sdmd.errors import UpstreamUnavailable
from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD, bearer, login
from tests.auth.gotrue_double import GoTrueContractDouble, closed_port_url


def test_login_refresh_logout(supabase_client, gotrue):
    body = login(supabase_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["refresh_token"]
    user_id = gotrue.users[SUPABASE_EMAIL][0]
    assert body["user"] == {"id": user_id, "email": SUPABASE_EMAIL}
    me = supabase_client.get("/auth/user", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json() == {"id": user_id, "email": SUPABASE_EMAIL}

    refreshed = supabase_client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    pair = refreshed.json()
    assert pair["refresh_token"] != body["refresh_token"]
    assert supabase_client.get("/api/audit", headers=bearer(pair["access_token"])).status_code == 200
    again = supabase_client.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert again.status_code == 401 and again.json()["error"] == "invalid refresh token"

    assert supabase_client.post("/auth/logout", headers=bearer(pair["access_token"])).status_code == 204
    assert gotrue.hits["logout"] == 1 and not gotrue.sessions
    # GoTrue's access tokens stay valid until exp; sdmd refuses the ended session at once, also older tokens.
    for token in (pair["access_token"], body["access_token"]):
        response = supabase_client.get("/api/audit", headers=bearer(token))
        assert response.status_code == 401 and response.json()["details"] == "session ended"


def test_wrong_credentials_map_to_401_invalid_credentials(supabase_client, gotrue):
    for username, password in [(SUPABASE_EMAIL, "wrong"), ("nobody@example.com", SUPABASE_PASSWORD)]:
        response = supabase_client.post("/auth/login", json={"email": username, "password": password})
        assert response.status_code == 401
        assert response.json() == {"error": "invalid credentials", "details": None}
    assert gotrue.hits["token"] == 2


@pytest.mark.parametrize("retry_after", [None, "17"])
def test_gotrue_429_maps_to_429_with_retry_after(supabase_client, gotrue, retry_after):
    gotrue.rate_limited, gotrue.retry_after = 1, retry_after
    response = supabase_client.post("/auth/login", json={"username": SUPABASE_EMAIL, "password": SUPABASE_PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == (retry_after or "60")
    assert response.json()["error"] == "too many requests"
    assert login(supabase_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]


def test_unreachable_gotrue_is_503(make_gotrue, make_supabase_client):
    double = make_gotrue("HS256")
    client = make_supabase_client(double, supabase_url=closed_port_url())
    response = client.post("/auth/login", json={"username": SUPABASE_EMAIL, "password": SUPABASE_PASSWORD})
    assert response.status_code == 503
    assert response.json()["error"] == "auth service unavailable" and "ConnectError" in response.json()["details"]
    refresh = client.post("/auth/refresh", json={"refresh_token": "x"})
    assert refresh.status_code == 503


def test_repeated_logout_at_gotrue_still_ends_the_session_here(supabase_client, gotrue):
    body = login(supabase_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    gotrue.sessions.pop(claims["session_id"])  # logged out elsewhere: GoTrue answers 403 to us
    assert supabase_client.post("/auth/logout", headers=bearer(body["access_token"])).status_code == 204
    assert gotrue.hits["logout"] == 1
    assert supabase_client.get("/api/audit", headers=bearer(body["access_token"])).status_code == 401
    core = supabase_client.app.state.core
    with core.db.session() as s:
        row = s.get(EndedSession, claims["session_id"])
        assert row is not None and int(row.expires_at.timestamp()) >= claims["exp"]


def test_logout_when_gotrue_is_down_ends_the_session_here_and_says_503(make_gotrue, make_supabase_client):
    double = make_gotrue("HS256")
    client = make_supabase_client(double)
    body = login(client, SUPABASE_EMAIL, SUPABASE_PASSWORD)
    double.stop()
    response = client.post("/auth/logout", headers=bearer(body["access_token"]))
    assert response.status_code == 503
    assert client.get("/api/audit", headers=bearer(body["access_token"])).status_code == 401


def test_hs256_mode_refuses_asymmetric_tokens_and_es256_mode_refuses_hs256(make_gotrue, make_supabase_client):
    hs = make_gotrue("HS256")
    es = make_gotrue("ES256")
    hs_client = make_supabase_client(hs)
    es_client = make_supabase_client(es)
    es_token = login(es_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]
    hs_token = login(hs_client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]
    assert hs_client.get("/api/audit", headers=bearer(es_token)).status_code == 401
    assert es_client.get("/api/audit", headers=bearer(hs_token)).status_code == 401


def test_rs256_keys_from_the_jwks_are_accepted(make_gotrue, make_supabase_client):
    double = make_gotrue("RS256")
    client = make_supabase_client(double)
    token = login(client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert client.get("/api/audit", headers=bearer(token)).status_code == 200
    only_es = make_supabase_client(double, supabase_jwt_algorithms=["ES256"])
    assert only_es.post("/auth/login", json={"username": SUPABASE_EMAIL,
                                             "password": SUPABASE_PASSWORD}).status_code == 502


def test_misconfigured_secret_is_reported_at_login(make_gotrue, make_supabase_client):
    double = make_gotrue("HS256")
    client = make_supabase_client(double, supabase_jwt_secret="not the project secret at all, sorry")
    response = client.post("/auth/login", json={"username": SUPABASE_EMAIL, "password": SUPABASE_PASSWORD})
    assert response.status_code == 502
    assert response.json()["error"] == "auth service issued a token sdmd cannot verify"


def test_jwks_is_cached_and_an_unknown_kid_refetched_at_most_once_a_minute(make_gotrue):
    double = make_gotrue("ES256")
    now = [1000.0]
    cache = JwksCache(lambda: _get_jwks(double), algorithms=["ES256", "RS256"], ttl=600, clock=lambda: now[0])
    first = double.signing_kid
    assert cache.key_for({"kid": first}).algorithm == "ES256"
    cache.key_for({"kid": first})
    assert double.hits["jwks"] == 1  # cached
    second = double.rotate_key()
    now[0] += 70
    assert cache.key_for({"kid": second}).algorithm == "ES256"  # unknown kid, last fetch 70 s ago: refetched
    assert double.hits["jwks"] == 2
    third = double.rotate_key()
    now[0] += 10
    for _ in range(3):  # unknown kid 10 s after a fetch: no refetch, refused
        with pytest.raises(InvalidToken):
            cache.key_for({"kid": third})
    assert double.hits["jwks"] == 2
    now[0] += 51
    cache.key_for({"kid": third})
    assert double.hits["jwks"] == 3
    now[0] += 601  # past the cache lifetime: refetched even for a known kid
    cache.key_for({"kid": first})
    assert double.hits["jwks"] == 4


def test_jwks_never_yields_symmetric_or_mismatched_keys():
    secret = {"kty": "oct", "k": "c2VjcmV0", "kid": "sym", "alg": "HS256"}
    lying = {"kty": "EC", "crv": "P-256", "kid": "lying", "alg": "HS256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
    cache = JwksCache(lambda: {"keys": [secret, lying]}, algorithms=["ES256", "RS256", "HS256"], ttl=600)
    for kid in ("sym", "lying"):
        with pytest.raises(InvalidToken):
            cache.key_for({"kid": kid, "alg": "HS256"})
    with pytest.raises(InvalidToken):
        cache.key_for({"alg": "ES256"})  # no kid


def test_unreachable_jwks_is_503(make_gotrue):
    cache = JwksCache(lambda: _get_jwks_at(closed_port_url()), algorithms=["ES256"], ttl=600)
    with pytest.raises(UpstreamUnavailable):
        cache.key_for({"kid": "any"})


def _get_jwks(double: GoTrueContractDouble) -> dict:
    return _get_jwks_at(double.url)


def _get_jwks_at(url: str) -> dict:
    response = httpx.get(f"{url}/auth/v1/.well-known/jwks.json", timeout=5)
    response.raise_for_status()
    return response.json()


def test_env_names_without_prefix_and_with_prefix(monkeypatch):
    monkeypatch.setenv("SUPABASE_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("SUPABASE_ANON_KEY", "anon")
    monkeypatch.setenv("SUPABASE_JWT_SECRET", "s3cret")
    monkeypatch.setenv("SDMD_AUTH_MODE", "supabase")
    s = Settings()
    assert (s.supabase_url, s.supabase_anon_key, s.supabase_jwt_secret, s.auth_mode) == (
        "http://127.0.0.1:1", "anon", "s3cret", "supabase")
    assert "s3cret" not in repr(s) and "anon" not in repr(s).replace("anon_key", "")
    for name in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_JWT_SECRET"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SDMD_SUPABASE_URL", "http://127.0.0.1:2")
    monkeypatch.setenv("SDMD_SUPABASE_JWT_SECRET", "other")
    s = Settings()
    assert (s.supabase_url, s.supabase_jwt_secret) == ("http://127.0.0.1:2", "other")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_auth_sessions_check_on_supabase_postgresql(make_gotrue, make_supabase_client, database_url):
    double = make_gotrue("HS256")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # the shape of Supabase's auth.sessions that sdmd reads
        conn.execute(sa.text("CREATE SCHEMA auth"))
        conn.execute(sa.text("CREATE TABLE auth.sessions (id uuid PRIMARY KEY, user_id uuid)"))
    client = make_supabase_client(double, supabase_check_sessions=True)
    token = login(client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]
    assert client.get("/api/audit", headers=bearer(token)).status_code == 401  # not in auth.sessions
    session_id = jwt.decode(token, options={"verify_signature": False})["session_id"]
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO auth.sessions (id) VALUES (CAST(:id AS uuid))"), {"id": session_id})
    assert client.get("/api/audit", headers=bearer(token)).status_code == 200
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM auth.sessions"))
    engine.dispose()
    assert client.get("/api/audit", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_auth_sessions_check_needs_postgresql(make_gotrue, make_supabase_client):
    with pytest.raises(ValueError, match="Supabase's PostgreSQL"):
        make_supabase_client(make_gotrue("HS256"), supabase_check_sessions=True)
