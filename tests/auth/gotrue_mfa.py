"""The multi-factor part of the GoTrue contract double (see gotrue_double.py for the routes it serves)."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import pyotp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def _error(status: int, error_code: str, msg: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"code": status, "error_code": error_code, "msg": msg}, status_code=status,
                        headers=headers)


@dataclass
class _Session:
    user_id: str
    refresh_token: str
    used_refresh_tokens: set[str] = field(default_factory=set)
    aal: str = "aal1"
    factor_id: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))




@dataclass
class _Factor:
    id: str
    user_id: str
    secret: str
    friendly_name: str
    status: str = "unverified"
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "friendly_name": self.friendly_name, "factor_type": "totp", "status": self.status,
                "created_at": self.created_at, "updated_at": self.created_at}


@dataclass
class _Challenge:
    factor_id: str
    ip: str | None
    created: float = field(default_factory=time.time)
    verified: bool = False


CHALLENGE_EXPIRY_SECONDS = 300


class MfaRoutes:
    """Mixed into GoTrueContractDouble: factors, challenges, verification, as GoTrue's mfa.go does."""

    users: dict[str, tuple[str, str]]
    sessions: dict
    factors: dict[str, _Factor]
    challenges: dict[str, _Challenge]
    hits: dict[str, int]
    anon_key: str

    def add_factor(self, email: str, *, verified: bool = True) -> str:
        """A TOTP factor for the user (as if enrolled earlier); returns its secret."""
        user_id = self.users[email][0]
        factor = _Factor(str(uuid.uuid4()), user_id, pyotp.random_base32(), f"phone {len(self.factors)}",
                         "verified" if verified else "unverified")
        self.factors[factor.id] = factor
        return factor.secret

    def user_factors(self, user_id: str) -> list[_Factor]:
        return [f for f in self.factors.values() if f.user_id == user_id]

    # --- MFA ---
    def _caller(self, request: Request) -> tuple[_Session, str] | Response:
        """The session of the Bearer token (GoTrue's requireAuthentication), or the error to send."""
        self.hits["factors"] += 1
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "No API key found in request"}, status_code=401)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        try:
            claims = self._verify(token)
        except jwt.PyJWTError as exc:
            return _error(401, "bad_jwt", f"invalid JWT: {exc}")
        session = self.sessions.get(claims.get("session_id", ""))
        if session is None:
            return _error(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return session, claims["session_id"]

    def _owned_factor(self, session: _Session, factor_id: str) -> _Factor | Response:
        factor = self.factors.get(factor_id)
        if factor is None or factor.user_id != session.user_id:
            return _error(404, "mfa_factor_not_found", "Factor not found")
        return factor

    async def _get_user(self, request: Request) -> Response:
        found = self._caller(request)
        if isinstance(found, Response):
            return found
        return JSONResponse(self._user(found[0].user_id))

    async def _enroll(self, request: Request) -> Response:
        found = self._caller(request)
        if isinstance(found, Response):
            return found
        session, _ = found
        body = await request.json()
        if body.get("factor_type") != "totp":
            return _error(400, "validation_failed", "factor_type needs to be totp")
        with self.lock:
            factors = self.user_factors(session.user_id)
            if any(f.status == "verified" for f in factors) and session.aal != "aal2":
                return _error(403, "insufficient_aal", "AAL2 required to enroll a new factor")
            name = body.get("friendly_name") or ""
            if name and any(f.friendly_name == name for f in factors):
                return _error(422, "mfa_factor_name_conflict", f'A factor with the friendly name "{name}" exists')
            factor = _Factor(str(uuid.uuid4()), session.user_id, pyotp.random_base32(), name)
            self.factors[factor.id] = factor
        uri = pyotp.TOTP(factor.secret).provisioning_uri(name=self._email(session.user_id),
                                                         issuer_name=body.get("issuer") or "localhost")
        svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'  # bare SVG, as v2.186
        return JSONResponse({"id": factor.id, "type": "totp", "friendly_name": factor.friendly_name,
                             "totp": {"qr_code": svg, "secret": factor.secret, "uri": uri}})

    async def _challenge(self, request: Request) -> Response:
        found = self._caller(request)
        if isinstance(found, Response):
            return found
        factor = self._owned_factor(found[0], request.path_params["factor_id"])
        if isinstance(factor, Response):
            return factor
        challenge_id = str(uuid.uuid4())
        self.challenges[challenge_id] = _Challenge(factor.id, request.client.host if request.client else None)
        return JSONResponse({"id": challenge_id, "type": "totp",
                             "expires_at": int(time.time()) + CHALLENGE_EXPIRY_SECONDS})

    async def _verify_factor(self, request: Request) -> Response:
        found = self._caller(request)
        if isinstance(found, Response):
            return found
        session, session_id = found
        factor = self._owned_factor(session, request.path_params["factor_id"])
        if isinstance(factor, Response):
            return factor
        body = await request.json()
        with self.lock:
            challenge = self.challenges.get(str(body.get("challenge_id")))
            if challenge is None or challenge.factor_id != factor.id:
                return _error(404, "mfa_factor_not_found", "MFA factor with the provided challenge ID not found")
            if challenge.verified or challenge.ip != (request.client.host if request.client else None):
                return _error(422, "mfa_ip_address_mismatch", "Challenge and verify IP addresses mismatch")
            if time.time() - challenge.created > CHALLENGE_EXPIRY_SECONDS:
                del self.challenges[str(body.get("challenge_id"))]
                return _error(422, "mfa_challenge_expired", "MFA challenge has expired")
            if not pyotp.TOTP(factor.secret).verify(str(body.get("code", "")), valid_window=1):
                return _error(422, "mfa_verification_failed", "Invalid TOTP code entered")
            challenge.verified = True
            factor.status = "verified"
            session.aal, session.factor_id = "aal2", factor.id
            session.used_refresh_tokens.add(session.refresh_token)
            session.refresh_token = secrets.token_urlsafe(9)
            for other_id, other in list(self.sessions.items()):  # InvalidateSessionsWithAALLessThan(aal2)
                if other.user_id == session.user_id and other_id != session_id and other.aal != "aal2":
                    del self.sessions[other_id]
            for other in self.user_factors(session.user_id):  # DeleteUnverifiedFactors
                if other.status != "verified":
                    del self.factors[other.id]
            return JSONResponse(self._session_body(session_id))

    async def _unenroll(self, request: Request) -> Response:
        found = self._caller(request)
        if isinstance(found, Response):
            return found
        session, _ = found
        factor = self._owned_factor(session, request.path_params["factor_id"])
        if isinstance(factor, Response):
            return factor
        if factor.status == "verified" and session.aal != "aal2":
            return _error(422, "insufficient_aal", "AAL2 required to unenroll verified factor")
        with self.lock:
            del self.factors[factor.id]
            for other in self.sessions.values():  # DowngradeSessionsToAAL1
                if other.factor_id == factor.id:
                    other.aal, other.factor_id = "aal1", None
        return JSONResponse({"id": factor.id})

