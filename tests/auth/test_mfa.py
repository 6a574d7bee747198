"""Two-factor login for built-in users, through the API (SQLite and PostgreSQL): enrolment with a QR code,
recovery codes, the login's second step and its throttle, the require-2FA policy, and the CLI reset."""

from __future__ import annotations

import hashlib
import time

import jwt
import pyotp
import pytest
import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.auth import challenges, mfa
from sdmd.auth.models import MfaChallenge, RecoveryCode, UserMfa
from sdmd.db.base import utcnow
from tests.auth.conftest import bearer
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user


@pytest.fixture
def user(core):
    return ensure_user(core)


def login(client, username=TEST_EMAIL, password=TEST_PASSWORD):
    return client.post("/auth/login", json={"username": username, "password": password})


def session_headers(client) -> dict[str, str]:
    response = login(client)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


def enrol(client, headers) -> tuple[str, list[str], dict]:
    """Turns 2FA on through the API; returns the secret, the recovery codes and the new (aal2) tokens."""
    started = client.post("/api/security/mfa/enrol", headers=headers)
    assert started.status_code == 200, started.text
    secret = started.json()["secret"]
    enabled = client.post("/api/security/mfa/enable", headers=headers, json={"code": pyotp.TOTP(secret).now()})
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json()["recovery_codes"], enabled.json()["tokens"]


def code_at(secret: str, offset_steps: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def audit(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_enrolment_shows_a_qr_code_and_enabling_makes_the_session_aal2(anonymous_client, core, user):
    headers = session_headers(anonymous_client)
    assert anonymous_client.get("/api/security/mfa", headers=headers).json() == {
        "enabled": False, "pending": False, "enabled_at": None, "recovery_codes_left": 0, "required": False,
        "managed_by": "sdmd"}
    started = anonymous_client.post("/api/security/mfa/enrol", headers=headers).json()
    assert started["qr_svg"].startswith("data:image/svg+xml") and "%3Csvg" in started["qr_svg"]
    assert started["otpauth_uri"].startswith("otpauth://totp/sdmd:") and started["secret"] in started["otpauth_uri"]
    assert anonymous_client.get("/api/security/mfa", headers=headers).json()["pending"] is True
    # The secret is stored encrypted, never as given.
    with core.db.sessions() as session:
        stored = session.get(UserMfa, user.id).secret
    assert started["secret"] not in stored and core.auth.box.decrypt(stored) == started["secret"]

    wrong = anonymous_client.post("/api/security/mfa/enable", headers=headers, json={"code": "000000"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid two-factor code"
    enabled = anonymous_client.post("/api/security/mfa/enable", headers=headers,
                                    json={"code": pyotp.TOTP(started["secret"]).now()}).json()
    codes = enabled["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert claims(enabled["tokens"]["access_token"])["aal"] == "aal2"
    # Only hashes of the recovery codes are kept.
    with core.db.sessions() as session:
        hashes = set(session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert hashes == {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    status = anonymous_client.get("/api/security/mfa", headers=bearer(enabled["tokens"]["access_token"])).json()
    assert status["enabled"] and status["recovery_codes_left"] == 10
    again = anonymous_client.post("/api/security/mfa/enrol", headers=bearer(enabled["tokens"]["access_token"]))
    assert again.status_code == 409
    assert [r.outcome for r in audit(core, "security.mfa_enable")] == ["error", "ok"]


def test_enabling_ends_the_users_other_sessions_that_never_passed_a_second_factor(anonymous_client, core, user):
    other = session_headers(anonymous_client)
    headers = session_headers(anonymous_client)
    _, _, tokens = enrol(anonymous_client, headers)
    assert anonymous_client.get("/api/services", headers=other).status_code == 401
    assert anonymous_client.get("/api/audit", headers=bearer(tokens["access_token"])).status_code == 200
    # The session lives on: its new refresh token refreshes to aal2 again.
    refreshed = anonymous_client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and claims(refreshed.json()["access_token"])["aal"] == "aal2"


def test_login_becomes_two_steps(anonymous_client, core, user):
    secret, codes, _ = enrol(anonymous_client, session_headers(anonymous_client))
    first = login(anonymous_client)
    assert first.status_code == 200
    challenge = first.json()
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    assert challenge["methods"] == ["totp", "recovery_code"] and challenge["expires_in"] == 300

    done = anonymous_client.post("/auth/login/mfa", json={"mfa_token": challenge["mfa_token"],
                                                           "code": code_at(secret, 1)})
    assert done.status_code == 200, done.text
    token = claims(done.json()["access_token"])
    assert token["aal"] == "aal2" and [a["method"] for a in token["amr"]] == ["totp", "password"]
    # A challenge is single use; a code is good once (no replay within its 30 s).
    reused = anonymous_client.post("/auth/login/mfa", json={"mfa_token": challenge["mfa_token"],
                                                             "code": code_at(secret, 0)})
    assert reused.status_code == 401 and reused.json()["error"] == "invalid two-factor challenge"
    second = login(anonymous_client).json()
    replay = anonymous_client.post("/auth/login/mfa", json={"mfa_token": second["mfa_token"],
                                                             "code": code_at(secret, 1)})
    assert replay.status_code == 401 and replay.json()["error"] == "invalid two-factor code"
    # An old step (already passed) is refused too; a recovery code works once.
    old = anonymous_client.post("/auth/login/mfa", json={"mfa_token": second["mfa_token"], "code": code_at(secret, -1)})
    assert old.status_code == 401
    by_code = anonymous_client.post("/auth/login/mfa", json={"mfa_token": second["mfa_token"],
                                                              "code": codes[0].upper()})
    assert by_code.status_code == 200
    assert claims(by_code.json()["access_token"])["amr"][0]["method"] == "recovery_code"
    third = login(anonymous_client).json()
    used = anonymous_client.post("/auth/login/mfa", json={"mfa_token": third["mfa_token"], "code": codes[0]})
    assert used.status_code == 401
    ok = [r for r in audit(core, "auth.login") if r.details.get("mfa")]
    assert [r.details["mfa"] for r in ok] == ["totp", "recovery_code"]
    failed = [r.details["reason"] for r in audit(core, "auth.login_failed")]
    assert failed.count("invalid two-factor code") == 3


def test_the_second_step_is_throttled_and_a_right_password_does_not_reset_it(anonymous_client, core, user):
    enrol(anonymous_client, session_headers(anonymous_client))
    statuses = []
    for _ in range(3):  # a right password between wrong codes must not hand out a fresh budget
        token = login(anonymous_client).json()["mfa_token"]
        for _ in range(2):
            statuses.append(anonymous_client.post("/auth/login/mfa", json={"mfa_token": token,
                                                                            "code": "123456"}).status_code)
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    throttled = login(anonymous_client)  # the password step is throttled now as well
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0


def test_a_challenge_dies_after_five_wrong_codes_and_when_it_expires(anonymous_client, core, user):
    core.settings.login_max_failures = 100
    secret, _, _ = enrol(anonymous_client, session_headers(anonymous_client))
    token = login(anonymous_client).json()["mfa_token"]
    for _ in range(challenges.MAX_ATTEMPTS):
        assert anonymous_client.post("/auth/login/mfa", json={"mfa_token": token, "code": "123456"}).status_code == 401
    dead = anonymous_client.post("/auth/login/mfa", json={"mfa_token": token, "code": code_at(secret, 0)})
    assert dead.status_code == 401 and dead.json()["error"] == "invalid two-factor challenge"
    token = login(anonymous_client).json()["mfa_token"]
    with core.db.session() as session:
        session.execute(sa.update(MfaChallenge).values(expires_at=utcnow()))
    expired = anonymous_client.post("/auth/login/mfa", json={"mfa_token": token, "code": code_at(secret, 0)})
    assert expired.status_code == 401 and "expired" in expired.json()["details"]
    # The challenge token is stored hashed only.
    with core.db.sessions() as session:
        assert token not in set(session.scalars(sa.select(MfaChallenge.token_hash)))


def test_recovery_codes_can_be_renewed_and_2fa_turned_off_with_a_code(anonymous_client, core, user):
    _, codes, tokens = enrol(anonymous_client, session_headers(anonymous_client))
    headers = bearer(tokens["access_token"])
    assert anonymous_client.post("/api/security/mfa/recovery-codes", headers=headers,
                                 json={"code": "000000"}).status_code == 403
    renewed = anonymous_client.post("/api/security/mfa/recovery-codes", headers=headers, json={"code": codes[1]})
    assert renewed.status_code == 200 and not set(renewed.json()["recovery_codes"]) & set(codes)
    off = anonymous_client.post("/api/security/mfa/disable", headers=headers,
                                json={"code": renewed.json()["recovery_codes"][0]})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert "access_token" in login(anonymous_client).json()  # one step again
    with core.db.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0


def test_requiring_2fa_for_everyone(anonymous_client, core, user):
    admin_headers = session_headers(anonymous_client)
    # Not before the admin has it: nobody locks themselves into the enrolment page by accident.
    refused = anonymous_client.put("/api/security/settings", headers=admin_headers, json={"require_mfa": True})
    assert refused.status_code == 409
    _, _, tokens = enrol(anonymous_client, admin_headers)
    admin = bearer(tokens["access_token"])
    on = anonymous_client.put("/api/security/settings", headers=admin, json={"require_mfa": True})
    assert on.status_code == 200 and on.json() == {"require_mfa": True, "require_mfa_forced": False}

    ensure_user(core, "other@example.com")
    body = login(anonymous_client, "other@example.com").json()
    assert body["mfa_enrolment_required"] is True
    other = bearer(body["access_token"])
    blocked = anonymous_client.get("/api/services", headers=other)
    assert blocked.status_code == 403 and blocked.json()["error"] == "two-factor authentication required"
    assert "insufficient_user_authentication" in blocked.headers["www-authenticate"]
    for method, path in (("POST", "/api/security/tokens"), ("GET", "/api/audit"), ("PUT", "/api/security/settings")):
        assert anonymous_client.request(method, path, headers=other, json={}).status_code == 403, path
    # The enrolment routes and /auth/user stay open to an aal1 session, and enrolling lets it in.
    assert anonymous_client.get("/auth/user", headers=other).status_code == 200
    assert anonymous_client.get("/api/security/mfa", headers=other).json()["required"] is True
    _, _, other_tokens = enrol(anonymous_client, other)
    assert anonymous_client.get("/api/services", headers=bearer(other_tokens["access_token"])).status_code == 200
    # While required, 2FA cannot be turned off; the admin can lift the requirement.
    off = anonymous_client.post("/api/security/mfa/disable", headers=admin, json={"code": "000000"})
    assert off.status_code == 409
    assert anonymous_client.put("/api/security/settings", headers=admin,
                                json={"require_mfa": False}).json()["require_mfa"] is False
    assert [r.details["require_mfa"] for r in audit(core, "security.settings") if r.outcome == "ok"] == [True, False]


def test_the_configuration_can_force_2fa_on(anonymous_client, core, user):
    core.settings.require_mfa = True
    body = login(anonymous_client).json()
    assert body["mfa_enrolment_required"] is True
    _, _, tokens = enrol(anonymous_client, bearer(body["access_token"]))
    lift = anonymous_client.put("/api/security/settings", headers=bearer(tokens["access_token"]),
                                json={"require_mfa": False})
    assert lift.status_code == 409 and "SDMD_REQUIRE_MFA" in lift.json()["details"]


def test_totp_codes_are_accepted_once_within_one_step_of_now(core, user):
    box = core.auth.box
    enrolment = mfa.begin_enrolment(core.db, box, user_id=user.id, email=user.email, issuer="sdmd")
    now = time.time()
    totp = pyotp.TOTP(enrolment.secret)
    mfa.confirm_enrolment(core.db, box, user_id=user.id, code=totp.at(now - 30), now=now)
    assert mfa.verify(core.db, box, user_id=user.id, code=totp.at(now + 90), now=now) is None  # too far ahead
    assert mfa.verify(core.db, box, user_id=user.id, code=totp.at(now - 30), now=now) is None  # its step is used
    current = totp.at(now)
    assert mfa.verify(core.db, box, user_id=user.id, code=f"{current[:3]} {current[3:]}", now=now) == "totp"
    assert mfa.verify(core.db, box, user_id=user.id, code=current, now=now) is None  # once only
    ahead = totp.at(now + 30)
    assert mfa.verify(core.db, box, user_id=user.id, code=ahead, now=now) == "totp"  # clock drift: +1 step
    assert mfa.verify(core.db, box, user_id=user.id, code="abcdef", now=now) is None
