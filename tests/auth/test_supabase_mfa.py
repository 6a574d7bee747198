"""Supabase mode honours GoTrue's MFA (against the contract double): a user with a verified TOTP factor logs
in in two steps through sdmd (GoTrue's challenge + verify, aal2 tokens); with 2FA required, aal1 tokens
are refused; enrolment and removal go to GoTrue on the user's own session."""

from __future__ import annotations

import jwt
import pyotp
import pytest

from sdmd.auth.identity import CLI
from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD, bearer


def login(client):
    response = client.post("/auth/login", json={"username": SUPABASE_EMAIL, "password": SUPABASE_PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()


def aal(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["aal"]


def test_a_user_with_a_factor_logs_in_in_two_steps(gotrue, supabase_client):
    secret = gotrue.add_factor(SUPABASE_EMAIL)
    first = login(supabase_client)
    assert first["mfa_required"] is True and first["methods"] == ["totp"] and "access_token" not in first
    wrong = supabase_client.post("/auth/login/mfa", json={"mfa_token": first["mfa_token"], "code": "000000"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid two-factor code"
    assert "mfa_verification_failed" in wrong.json()["details"]
    done = supabase_client.post("/auth/login/mfa", json={"mfa_token": first["mfa_token"],
                                                          "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    tokens = done.json()
    assert aal(tokens["access_token"]) == "aal2" and tokens["user"]["email"] == SUPABASE_EMAIL
    assert supabase_client.get("/api/audit", headers=bearer(tokens["access_token"])).status_code == 200
    # GoTrue keeps the session at aal2 across a refresh.
    refreshed = supabase_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and aal(refreshed.json()["access_token"]) == "aal2"
    # The second step is throttled like the first (the login above cleared the earlier failure).
    for _ in range(5):
        supabase_client.post("/auth/login/mfa", json={"mfa_token": login(supabase_client)["mfa_token"],
                                                       "code": "000000"})
    assert supabase_client.post("/auth/login", json={"username": SUPABASE_EMAIL,
                                                     "password": SUPABASE_PASSWORD}).status_code == 429


def test_with_2fa_required_an_aal1_token_is_refused(gotrue, supabase_client):
    supabase_client.app.state.core.auth.policy.set_require_mfa(True, actor=CLI)
    body = login(supabase_client)
    assert aal(body["access_token"]) == "aal1" and body["mfa_enrolment_required"] is True
    aal1 = bearer(body["access_token"])
    refused = supabase_client.get("/api/services", headers=aal1)
    assert refused.status_code == 403 and refused.json()["error"] == "two-factor authentication required"
    # A forged aal2 claim is no way around it: only GoTrue's key signs tokens.
    claims = jwt.decode(body["access_token"], options={"verify_signature": False}) | {"aal": "aal2"}
    forged = jwt.encode(claims, "not the secret, but long enough for HS256", algorithm="HS256")
    assert supabase_client.get("/api/services", headers=bearer(forged)).status_code == 401

    # Enrolment goes through sdmd to GoTrue, on this aal1 session.
    status = supabase_client.get("/api/security/mfa", headers=aal1).json()
    assert status == {"enabled": False, "pending": False, "enabled_at": None, "recovery_codes_left": 0,
                      "required": True, "managed_by": "supabase"}
    other = bearer(login(supabase_client)["access_token"])  # a second aal1 session of the same user
    enrolment = supabase_client.post("/api/security/mfa/enrol", headers=aal1).json()
    assert enrolment["factor_id"] in gotrue.factors
    assert enrolment["qr_svg"].startswith("data:image/svg+xml")  # GoTrue's bare SVG, made an image
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/") and enrolment["secret"]
    code = pyotp.TOTP(enrolment["secret"]).now()
    enabled = supabase_client.post("/api/security/mfa/enable", headers=aal1,
                                   json={"code": code, "factor_id": enrolment["factor_id"]})
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["recovery_codes"] == [] and aal(enabled.json()["tokens"]["access_token"]) == "aal2"
    aal2 = bearer(enabled.json()["tokens"]["access_token"])
    assert supabase_client.get("/api/services", headers=aal2).status_code == 200
    assert gotrue.factors[enrolment["factor_id"]].status == "verified"
    # GoTrue ended the user's other aal1 session when the factor was verified.
    assert supabase_client.get("/api/security/mfa", headers=other).status_code == 401
    assert supabase_client.get("/api/security/mfa", headers=aal2).json()["enabled"] is True
    recovery = supabase_client.post("/api/security/mfa/recovery-codes", headers=aal2, json={"code": code})
    assert recovery.status_code == 409


@pytest.mark.parametrize("gotrue", ["HS256"], indirect=True)
def test_a_factor_is_removed_with_a_code(gotrue, supabase_client):
    body = login(supabase_client)
    headers = bearer(body["access_token"])
    enrolment = supabase_client.post("/api/security/mfa/enrol", headers=headers).json()
    totp = pyotp.TOTP(enrolment["secret"])
    tokens = supabase_client.post("/api/security/mfa/enable", headers=headers,
                                  json={"code": totp.now(), "factor_id": enrolment["factor_id"]}).json()["tokens"]
    strong = bearer(tokens["access_token"])
    assert supabase_client.post("/api/security/mfa/disable", headers=strong, json={"code": "000000"}).status_code == 403
    off = supabase_client.post("/api/security/mfa/disable", headers=strong, json={"code": totp.now()})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert gotrue.factors == {}
    assert "access_token" in login(supabase_client)  # one step again
