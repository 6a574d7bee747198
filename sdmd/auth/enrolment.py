"""Turning two-factor login on and off for the caller: in sdmd's database (local mode), or through
GoTrue's /factors API on the caller's own session (Supabase mode), behind one interface.

Enabling it proves the second factor, so the caller's session becomes aal2 at once (new tokens are
returned), and the user's other sessions that never passed a second factor end, as GoTrue does.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sdmd.auth import mfa
from sdmd.auth.backends import LocalBackend, SupabaseBackend, _public, verified_totp_factors
from sdmd.auth.identity import Actor
from sdmd.config import Settings
from sdmd.db.base import Database
from sdmd.errors import Conflict, Forbidden
from sdmd.secretbox import SecretBox


class Enrolment(Protocol):
    managed_by: str

    def status(self, actor: Actor, access_token: str) -> dict[str, Any]: ...
    def enrol(self, actor: Actor, access_token: str) -> dict[str, Any]: ...
    def enable(self, actor: Actor, access_token: str, *, code: str, factor_id: str | None) -> dict[str, Any]: ...
    def regenerate(self, actor: Actor, access_token: str, *, code: str) -> list[str]: ...
    def disable(self, actor: Actor, access_token: str, *, code: str) -> None: ...


def _session_only(actor: Actor) -> str:
    if actor.is_api_token or not actor.session_id or not actor.id:
        raise Forbidden("a login session is needed", "API tokens cannot change two-factor settings")
    return actor.id


class LocalEnrolment:
    managed_by = "sdmd"

    def __init__(self, settings: Settings, db: Database, box: SecretBox, backend: LocalBackend) -> None:
        self.settings, self.db, self.box, self.backend = settings, db, box, backend

    def status(self, actor: Actor, access_token: str) -> dict[str, Any]:
        st = mfa.status(self.db, user_id=actor.id or "")
        return {"enabled": st.enabled, "pending": st.pending, "enabled_at": st.enabled_at,
                "recovery_codes_left": st.recovery_codes_left}

    def enrol(self, actor: Actor, access_token: str) -> dict[str, Any]:
        user_id = _session_only(actor)
        found = mfa.begin_enrolment(self.db, self.box, user_id=user_id, email=actor.email or user_id,
                                    issuer=self.settings.mfa_issuer)
        return {"secret": found.secret, "otpauth_uri": found.otpauth_uri, "qr_svg": found.qr_svg, "factor_id": None}

    def enable(self, actor: Actor, access_token: str, *, code: str, factor_id: str | None) -> dict[str, Any]:
        user_id = _session_only(actor)
        codes = mfa.confirm_enrolment(self.db, self.box, user_id=user_id, code=code)
        return {"recovery_codes": codes, "tokens": self.backend.elevate(actor=actor, method=mfa.TOTP)}

    def regenerate(self, actor: Actor, access_token: str, *, code: str) -> list[str]:
        return mfa.regenerate_recovery_codes(self.db, self.box, user_id=_session_only(actor), code=code)

    def disable(self, actor: Actor, access_token: str, *, code: str) -> None:
        mfa.disable(self.db, self.box, user_id=_session_only(actor), code=code)


class SupabaseEnrolment:
    """GoTrue keeps the factors; sdmd relays the caller's own requests (its rules: aal2 to enrol a second
    factor or remove a verified one). Supabase has no recovery codes: enrol a second authenticator."""

    managed_by = "supabase"

    def __init__(self, settings: Settings, backend: SupabaseBackend) -> None:
        self.settings, self.backend, self.gotrue = settings, backend, backend.gotrue

    def _factors(self, access_token: str) -> list[dict[str, Any]]:
        return verified_totp_factors(self.gotrue.get_user(access_token=access_token))

    def status(self, actor: Actor, access_token: str) -> dict[str, Any]:
        user = self.gotrue.get_user(access_token=access_token)
        factors = [f for f in user.get("factors") or [] if isinstance(f, dict) and f.get("factor_type") == "totp"]
        verified = [f for f in factors if f.get("status") == "verified"]
        return {"enabled": bool(verified), "pending": bool(factors) and not verified,
                "enabled_at": verified[0].get("updated_at") if verified else None, "recovery_codes_left": 0}

    def enrol(self, actor: Actor, access_token: str) -> dict[str, Any]:
        _session_only(actor)
        if self._factors(access_token):
            raise Conflict("two-factor login already enabled", "disable it first to enrol another authenticator")
        # GoTrue wants a friendly name unique per user; a timestamp keeps repeated attempts apart.
        found = self.gotrue.enroll_totp(access_token=access_token, friendly_name=f"sdmd {int(time.time())}",
                                        issuer=self.settings.mfa_issuer)
        totp = found.get("totp") or {}
        qr = str(totp.get("qr_code") or "")
        if qr.startswith("<"):  # older GoTrue sends bare SVG markup
            qr = mfa.qr_data_uri(str(totp.get("uri") or ""))
        return {"secret": totp.get("secret"), "otpauth_uri": totp.get("uri"), "qr_svg": qr,
                "factor_id": found.get("id")}

    def _verify(self, access_token: str, factor_id: str, code: str) -> dict[str, Any]:
        challenge = self.gotrue.challenge(access_token=access_token, factor_id=factor_id)
        body = self.gotrue.verify(access_token=access_token, factor_id=factor_id,
                                  challenge_id=str(challenge.get("id")), code=mfa.normalize_code(code))
        claims = self.backend._verify_issued(body["access_token"])
        return _public(body, claims)

    def enable(self, actor: Actor, access_token: str, *, code: str, factor_id: str | None) -> dict[str, Any]:
        _session_only(actor)
        if not factor_id:
            raise Conflict("no enrolment pending", "pass the factor_id the enrolment answered with")
        return {"recovery_codes": [], "tokens": self._verify(access_token, factor_id, code)}

    def regenerate(self, actor: Actor, access_token: str, *, code: str) -> list[str]:
        raise Conflict("recovery codes are not available with Supabase Auth", "enrol a second authenticator instead")

    def disable(self, actor: Actor, access_token: str, *, code: str) -> None:
        _session_only(actor)
        factors = self._factors(access_token)
        if not factors:
            raise Conflict("two-factor login is not enabled")
        tokens = self._verify(access_token, factors[0]["id"], code)  # proves the code; yields an aal2 session
        for factor in factors:
            self.gotrue.unenroll(access_token=tokens["access_token"], factor_id=factor["id"])
