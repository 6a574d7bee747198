"""Attack tokens: every case under the issue's "Verification rules", in local mode and in Supabase mode
(HS256 secret and ES256 JWKS), on SQLite and PostgreSQL. Each must get 401 {"error": "unauthorized"}.

The forged tokens are built from a real, accepted token of a live session, changing one thing at a time;
a control case checks that the unchanged token is accepted, so a refusal means the one change was caught.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD, bearer, login
from tests.support_auth import authenticate

ISSUER = "https://issuer.example/auth/v1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses PEM keys as HMAC secrets, an attacker's tool would not."""
    signing_input = unsigned({**header, "alg": "HS256"}, claims)
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@dataclass
class Target:
    client: TestClient
    claims: dict[str, Any]  # of a valid token of a live session
    header: dict[str, Any]
    sign: Callable[[dict[str, Any], dict[str, Any]], str]  # with the real key
    public_material: list[bytes]  # what an attacker can know about the verification key
    logout_token: str


def _local(client, core) -> Target:
    token = authenticate(client, core)["access_token"]
    key = core.auth.backend.key
    pem = key.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Target(client, jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(token),
                  lambda h, c: jwt.encode(c, key.private_key, algorithm="ES256", headers=h),
                  [pem, json.dumps(key.jwk()).encode()], token)


def _supabase(client, gotrue) -> Target:
    token = login(client, SUPABASE_EMAIL, SUPABASE_PASSWORD)["access_token"]
    if gotrue.algorithm != "HS256":
        public = gotrue.keys[-1][1].public_key()
        material = [public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
                    json.dumps(jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)).encode()]
    else:  # with the legacy secret nothing about the key is public; the anon key is
        material = [gotrue.anon_key.encode()]
    return Target(client, jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(token),
                  lambda h, c: gotrue.mint(c, headers={k: v for k, v in h.items() if k != "alg"}),
                  material, token)


@pytest.fixture(params=["local", "supabase-HS256", "supabase-ES256"])
def target(request, make_gotrue, make_supabase_client) -> Target:
    if request.param == "local":  # only then: a local-mode app would be wasted setup for Supabase cases
        return _local(request.getfixturevalue("anonymous_client"), request.getfixturevalue("core"))
    gotrue = make_gotrue(request.param.split("-")[1])
    return _supabase(make_supabase_client(gotrue), gotrue)


def refused(target: Target, token: str) -> str:
    response = target.client.get("/api/audit", headers=bearer(token))
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "unauthorized" and body["details"]
    return body["details"]


def now() -> int:
    return int(time.time())


def test_control_the_unchanged_token_is_accepted(target):
    response = target.client.get("/api/audit", headers=bearer(target.sign(target.header, target.claims)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("header", [{"alg": "none", "typ": "JWT"}, {"alg": "none"}, {"alg": "None"},
                                    {"alg": "NONE", "kid": "same"}])
def test_alg_none(target, header):
    if "kid" in header:
        header = {**header, "kid": target.header.get("kid", "x")}
    refused(target, unsigned(header, target.claims) + ".")
    refused(target, unsigned(header, target.claims) + "." + b64(b"sig"))


def test_public_key_used_as_hmac_secret(target):
    header = {k: v for k, v in target.header.items() if k != "alg"}
    for secret in target.public_material:
        refused(target, hmac_token(header, target.claims, secret))


def test_asymmetric_token_signed_by_an_attacker_key(target):
    attacker = ec.generate_private_key(ec.SECP256R1())
    header = {k: v for k, v in target.header.items() if k != "alg"}
    refused(target, jwt.encode(target.claims, attacker, algorithm="ES256", headers=header))


def test_bad_signature(target):
    token = target.sign(target.header, target.claims)
    head, payload, signature = token.split(".")
    flipped = b64(bytes(b ^ 0x01 for b in base64.urlsafe_b64decode(signature + "==")))
    refused(target, f"{head}.{payload}.{flipped}")
    # a valid signature over different claims, spliced onto these claims
    other = target.sign(target.header, {**target.claims, "email": "someone-else@example.com"})
    refused(target, f"{head}.{other.split('.')[1]}.{signature}")


def test_expired(target):
    refused(target, target.sign(target.header, {**target.claims, "exp": now() - 120, "iat": now() - 3720}))


def test_expiry_leeway_is_at_most_60_seconds(target):
    # 30 s leeway by default: 10 s past exp passes, 61 s past is refused (the setting cannot exceed 60).
    assert target.client.get("/api/audit", headers=bearer(target.sign(
        target.header, {**target.claims, "exp": now() - 10}))).status_code == 200
    refused(target, target.sign(target.header, {**target.claims, "exp": now() - 61}))


def test_missing_exp(target):
    refused(target, target.sign(target.header, {k: v for k, v in target.claims.items() if k != "exp"}))


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid(target, claim):
    refused(target, target.sign(target.header, {**target.claims, claim: now() + 600, "exp": now() + 4000}))


@pytest.mark.parametrize("aud", ["anon", "service_role", "", ["other"], None])
def test_wrong_audience(target, aud):
    claims = {**target.claims, "aud": aud}
    if aud is None:
        del claims["aud"]
    refused(target, target.sign(target.header, claims))


@pytest.mark.parametrize("sub", [None, "", 42])
def test_missing_sub(target, sub):
    claims = {**target.claims, "sub": sub}
    if sub is None:
        del claims["sub"]
    refused(target, target.sign(target.header, claims))


def test_missing_session_id(target):
    refused(target, target.sign(target.header, {k: v for k, v in target.claims.items() if k != "session_id"}))


def test_ended_session(target):
    assert target.client.get("/api/audit", headers=bearer(target.logout_token)).status_code == 200
    assert target.client.post("/auth/logout", headers=bearer(target.logout_token)).status_code == 204
    assert refused(target, target.logout_token) == "session ended"
    # a freshly signed token naming the ended session is refused as well
    assert refused(target, target.sign(target.header, {**target.claims, "iat": now()})) == "session ended"


def test_malformed_tokens(target):
    for token in ["garbage", "a.b.c", "", "Bearer", target.sign(target.header, target.claims)[:-20]]:
        response = target.client.get("/api/audit", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    assert target.client.get("/api/audit", headers={"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401


def test_unknown_kid(target):
    header = {**target.header, "kid": "not-a-known-key"}
    token = target.sign(header, target.claims)
    if target.header.get("kid") is None:  # HS256 secret mode ignores kid; the token itself is genuine
        assert target.client.get("/api/audit", headers=bearer(token)).status_code == 200
    else:
        refused(target, token)


def test_local_session_of_another_user(core, anonymous_client):
    target = _local(anonymous_client, core)
    refused(target, target.sign(target.header, {**target.claims, "sub": "00000000-0000-4000-8000-000000000000"}))


@pytest.mark.parametrize("mode", ["local", "supabase"])
def test_wrong_issuer_when_configured(mode, core, anonymous_client, make_gotrue, make_supabase_client):
    if mode == "local":  # local mode always configures its issuer ("sdmd" unless SDMD_AUTH_ISSUER is set)
        target = _local(anonymous_client, core)
        refused(target, target.sign(target.header, {**target.claims, "iss": "https://evil.example"}))
        refused(target, target.sign(target.header, {k: v for k, v in target.claims.items() if k != "iss"}))
        return
    gotrue = make_gotrue("ES256")
    unchecked = _supabase(make_supabase_client(gotrue), gotrue)  # no issuer configured: not checked
    forged = unchecked.sign(unchecked.header, {**unchecked.claims, "iss": "https://evil.example"})
    assert unchecked.client.get("/api/audit", headers=bearer(forged)).status_code == 200
    checked = _supabase(make_supabase_client(gotrue, auth_issuer=gotrue.issuer), gotrue)
    assert checked.client.get("/api/audit", headers=bearer(checked.logout_token)).status_code == 200
    refused(checked, checked.sign(checked.header, {**checked.claims, "iss": "https://evil.example"}))
