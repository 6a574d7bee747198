"""A small client of Supabase Auth (GoTrue): password and refresh grants, logout, JWKS.

GoTrue's answers are mapped to sdmd's errors here, so nothing else needs to know its status codes.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from sdmd.auth.errors import InvalidCredentials, InvalidRefreshToken, InvalidToken
from sdmd.errors import Conflict, Forbidden, NotFound, TooManyRequests, UpstreamError, UpstreamUnavailable

log = logging.getLogger("sdmd.auth")

DEFAULT_RETRY_AFTER = "60"
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_in")


class GoTrueClient:
    def __init__(self, url: str, anon_key: str, *, timeout: float) -> None:
        if not url:
            raise ValueError("SUPABASE_URL is required in supabase mode")
        self.base = url.rstrip("/") + "/auth/v1"
        self.anon_key = anon_key
        self.timeout = timeout

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/.well-known/jwks.json"

    def _request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                 json: dict[str, Any] | None = None, bearer: str | None = None) -> httpx.Response:
        headers = {"apikey": self.anon_key} if self.anon_key else {}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.request(method, f"{self.base}{path}", params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable("auth service unavailable", f"{type(exc).__name__}: {exc}") from None
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)
            raise TooManyRequests("too many requests", f"auth service: {_error_code(response)}",
                                  headers={"Retry-After": retry_after})
        if response.status_code >= 500:
            raise UpstreamUnavailable("auth service unavailable",
                                      f"HTTP {response.status_code}: {_error_code(response)}")
        return response

    def password_grant(self, *, email: str, password: str) -> dict[str, Any]:
        response = self._request("POST", "/token", params={"grant_type": "password"},
                                 json={"email": email, "password": password})
        if response.status_code in (400, 401, 403, 422):
            code = _error_code(response)
            # invalid_credentials covers unknown users and wrong passwords alike; say more only otherwise.
            raise InvalidCredentials(details=None if code in ("invalid_credentials", "invalid_grant") else code)
        return _tokens(response)

    def refresh_grant(self, *, refresh_token: str) -> dict[str, Any]:
        response = self._request("POST", "/token", params={"grant_type": "refresh_token"},
                                 json={"refresh_token": refresh_token})
        if response.status_code in (400, 401, 403, 404, 422):
            raise InvalidRefreshToken(details=_error_code(response))
        return _tokens(response)

    def logout(self, *, access_token: str) -> bool:
        """True when GoTrue ended the session now; False when it was already gone (401/403/404)."""
        response = self._request("POST", "/logout", params={"scope": "local"}, bearer=access_token)
        if response.status_code in (200, 204):
            return True
        if response.status_code in (401, 403, 404):
            return False
        raise UpstreamError("auth service error", f"logout: HTTP {response.status_code}: {_error_code(response)}")

    # --- multi-factor authentication (GoTrue's /factors API), on behalf of the user's session ---
    def get_user(self, *, access_token: str) -> dict[str, Any]:
        response = self._request("GET", "/user", bearer=access_token)
        return _json(_mfa_checked(response, "user"))

    def enroll_totp(self, *, access_token: str, friendly_name: str, issuer: str) -> dict[str, Any]:
        response = self._request("POST", "/factors", bearer=access_token,
                                 json={"factor_type": "totp", "friendly_name": friendly_name, "issuer": issuer})
        return _json(_mfa_checked(response, "enroll"))

    def challenge(self, *, access_token: str, factor_id: str) -> dict[str, Any]:
        response = self._request("POST", f"/factors/{factor_id}/challenge", bearer=access_token)
        return _json(_mfa_checked(response, "challenge"))

    def verify(self, *, access_token: str, factor_id: str, challenge_id: str, code: str) -> dict[str, Any]:
        """A code checked against a challenge; GoTrue answers with a new aal2 session."""
        response = self._request("POST", f"/factors/{factor_id}/verify", bearer=access_token,
                                 json={"challenge_id": challenge_id, "code": code})
        return _tokens(_mfa_checked(response, "verify"))

    def unenroll(self, *, access_token: str, factor_id: str) -> None:
        _mfa_checked(self._request("DELETE", f"/factors/{factor_id}", bearer=access_token), "unenroll")

    def jwks(self) -> dict[str, Any]:
        try:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.get(self.jwks_url, headers={"apikey": self.anon_key} if self.anon_key else {})
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable("auth service unavailable", f"JWKS: {type(exc).__name__}: {exc}") from None
        response.raise_for_status()
        return response.json()


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    return str(body.get("error_code") or body.get("error") or body.get("msg") or f"HTTP {response.status_code}")


class WrongFactorCode(Forbidden):
    message = "invalid two-factor code"


def _mfa_checked(response: httpx.Response, what: str) -> httpx.Response:
    """GoTrue's MFA errors as sdmd's (its documented error_code values)."""
    if response.status_code < 400:
        return response
    code = _error_code(response)
    if code in ("mfa_verification_failed", "mfa_challenge_expired", "mfa_ip_address_mismatch"):
        raise WrongFactorCode(details=code)
    if code == "insufficient_aal":
        raise Forbidden("two-factor authentication required", f"auth service: {code}")
    if code in ("mfa_factor_name_conflict", "too_many_enrolled_mfa_factors", "mfa_verified_factor_exists"):
        raise Conflict("two-factor login already enabled", f"auth service: {code}")
    if response.status_code == 404:
        raise NotFound("two-factor factor not found", f"auth service: {code}")
    if response.status_code in (401, 403):
        raise InvalidToken(f"auth service refused the session: {code}")
    raise UpstreamError("auth service error", f"{what}: HTTP {response.status_code}: {code}")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError("auth service error", "answer is not JSON") from None
    if not isinstance(body, dict):
        raise UpstreamError("auth service error", "answer is not a JSON object")
    return body


def _tokens(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise UpstreamError("auth service error", f"HTTP {response.status_code}: {_error_code(response)}")
    try:
        body = response.json()
    except ValueError:
        raise UpstreamError("auth service error", "token response is not JSON") from None
    if not isinstance(body, dict) or any(not body.get(field) for field in TOKEN_FIELDS):
        raise UpstreamError("auth service error", "token response lacks access_token/refresh_token/expires_in")
    return body
