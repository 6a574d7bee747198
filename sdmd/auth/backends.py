"""The two ways sdmd authenticates: built-in users (local) and Supabase Auth (GoTrue)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from sdmd.auth import mfa, sessions, users
from sdmd.auth.challenges import Challenge
from sdmd.auth.errors import (
    InvalidChallenge,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidSecondFactor,
    InvalidToken,
)
from sdmd.auth.gotrue import GoTrueClient, WrongFactorCode
from sdmd.auth.identity import Actor
from sdmd.auth.jwks import JwksCache
from sdmd.auth.tokens import DEFAULT_LOCAL_ISSUER, SharedSecret, SigningKey, TokenVerifier
from sdmd.config import Settings
from sdmd.db.base import Database
from sdmd.errors import SdmdError, UpstreamError, UpstreamUnavailable
from sdmd.secretbox import SecretBox

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TokenBody = dict[str, Any]


def actor_from(claims: dict[str, Any], client_addr: str | None) -> Actor:
    aal = claims.get("aal")
    return Actor(id=claims["sub"], email=claims.get("email") or None, session_id=claims["session_id"],
                 client_addr=client_addr, aal=aal if aal in ("aal1", "aal2", "aal3") else "aal1")


@dataclass(frozen=True)
class SecondFactor:
    """The password was right, and the user has two-factor login: a code is still owed."""

    user_id: str
    email: str
    upstream: dict[str, Any] | None = None  # Supabase mode: GoTrue's aal1 session and the factor


LoginResult = tuple[TokenBody, Actor] | SecondFactor


class Backend(Protocol):
    def login(self, *, username: str, password: str, client_addr: str | None) -> LoginResult: ...
    def login_mfa(self, *, challenge: Challenge, code: str, client_addr: str | None,
                  consume: Callable[[], bool]) -> tuple[TokenBody, Actor, str]: ...
    def refresh(self, *, refresh_token: str, client_addr: str | None) -> tuple[TokenBody, Actor]: ...
    def logout(self, *, claims: dict[str, Any], access_token: str) -> None: ...
    def verify(self, token: str) -> dict[str, Any]: ...


class LocalBackend:
    """Users and sessions in sdmd's database; ES256 tokens signed with a key kept in the data dir."""

    def __init__(self, settings: Settings, db: Database, box: SecretBox | None = None) -> None:
        self.settings = settings
        self.db = db
        self.box = box or SecretBox(settings.data_dir)
        self.key = SigningKey.load_or_create(settings.data_dir / "auth" / "jwt-es256.pem")
        self.issuer = settings.auth_issuer or DEFAULT_LOCAL_ISSUER
        self.verifier = TokenVerifier(self.key, issuer=self.issuer, leeway=settings.auth_leeway_seconds)

    def login(self, *, username: str, password: str, client_addr: str | None) -> LoginResult:
        user = users.authenticate(self.db, email=username, password=password)
        if user is None:
            raise InvalidCredentials()
        if mfa.is_enabled(self.db, user_id=user.id):
            return SecondFactor(user.id, user.email)
        return self.issue(user_id=user.id, email=user.email, client_addr=client_addr)

    def login_mfa(self, *, challenge: Challenge, code: str, client_addr: str | None,
                  consume: Callable[[], bool]) -> tuple[TokenBody, Actor, str]:
        """Tokens of an aal2 session, and the method that passed (totp or recovery_code)."""
        method = mfa.verify(self.db, self.box, user_id=challenge.user_id, code=code)
        if method is None:
            raise InvalidSecondFactor()
        if not consume():
            raise InvalidChallenge(details="the challenge was used meanwhile: log in again")
        body, actor = self.issue(user_id=challenge.user_id, email=challenge.email, client_addr=client_addr,
                                 aal="aal2", mfa_method=method)
        return body, actor, method

    def issue(self, *, user_id: str, email: str, client_addr: str | None, aal: str = "aal1",
              mfa_method: str | None = None) -> tuple[TokenBody, Actor]:
        """A new session for a user whose identity is already established."""
        grant = sessions.start(self.db, user_id=user_id, email=email, client_addr=client_addr,
                               lifetime=self.settings.auth_refresh_lifetime_seconds, aal=aal, mfa_method=mfa_method)
        return self._tokens(grant), self._actor(grant, client_addr)

    def elevate(self, *, actor: Actor, method: str) -> TokenBody:
        """The actor's session just proved a second factor: aal2 tokens for it (a new refresh token too)."""
        if not actor.session_id or not actor.id:
            raise InvalidToken("a login session is needed")
        grant = sessions.elevate(self.db, session_id=actor.session_id, user_id=actor.id, method=method,
                                 lifetime=self.settings.auth_refresh_lifetime_seconds)
        return self._tokens(grant)

    def refresh(self, *, refresh_token: str, client_addr: str | None) -> tuple[TokenBody, Actor]:
        grant = sessions.rotate(self.db, refresh_token=refresh_token,
                                lifetime=self.settings.auth_refresh_lifetime_seconds)
        return self._tokens(grant), self._actor(grant, client_addr)

    @staticmethod
    def _actor(grant: sessions.SessionGrant, client_addr: str | None) -> Actor:
        return Actor(id=grant.user_id, email=grant.email, session_id=grant.session_id, client_addr=client_addr,
                     aal=grant.aal)

    def logout(self, *, claims: dict[str, Any], access_token: str) -> None:
        sessions.end(self.db, session_id=claims["session_id"])

    def verify(self, token: str) -> dict[str, Any]:
        claims = self.verifier.verify(token)
        if not sessions.is_active(self.db, session_id=claims["session_id"], user_id=claims["sub"]):
            raise InvalidToken("session ended")
        return claims

    def _tokens(self, grant: sessions.SessionGrant) -> TokenBody:
        lifetime = self.settings.auth_token_lifetime_seconds
        started = int((grant.started_at or datetime.now(UTC)).timestamp())
        amr = [{"method": "password", "timestamp": started}]
        if grant.aal == "aal2":  # most recent first, as GoTrue lists them
            amr.insert(0, {"method": grant.mfa_method or mfa.TOTP, "timestamp": int(time.time())})
        access, exp = self.key.mint(user_id=grant.user_id, email=grant.email, session_id=grant.session_id,
                                    issuer=self.issuer, lifetime=lifetime, aal=grant.aal, amr=amr)
        return {"access_token": access, "token_type": "bearer", "expires_in": lifetime, "expires_at": exp,
                "refresh_token": grant.refresh_token, "user": {"id": grant.user_id, "email": grant.email}}


class SupabaseBackend:
    """GoTrue issues tokens; sdmd verifies them (JWKS or the HS256 secret) and remembers ended sessions."""

    def __init__(self, settings: Settings, db: Database, *, jwks_clock=time.monotonic) -> None:
        self.settings = settings
        self.db = db
        self.gotrue = GoTrueClient(settings.supabase_url, settings.supabase_anon_key,
                                   timeout=settings.supabase_timeout_seconds)
        if settings.supabase_jwt_secret:
            keys: SharedSecret | JwksCache = SharedSecret(settings.supabase_jwt_secret)
        else:
            keys = JwksCache(self.gotrue.jwks, algorithms=settings.supabase_jwt_algorithms,
                             ttl=settings.supabase_jwks_cache_seconds, clock=jwks_clock)
        self.keys = keys
        self.verifier = TokenVerifier(keys, issuer=settings.auth_issuer or None,
                                      leeway=settings.auth_leeway_seconds)
        if settings.supabase_check_sessions and db.is_sqlite:
            raise ValueError("SDMD_SUPABASE_CHECK_SESSIONS needs sdmd's database to be Supabase's PostgreSQL")

    def login(self, *, username: str, password: str, client_addr: str | None) -> LoginResult:
        body = self.gotrue.password_grant(email=username, password=password)
        claims = self._verify_issued(body["access_token"])
        factors = verified_totp_factors(body.get("user"))
        if factors and claims.get("aal") != "aal2":
            # GoTrue issued an aal1 session; its second step happens through sdmd (/auth/login/mfa).
            return SecondFactor(claims["sub"], claims.get("email") or username, upstream={
                "access_token": body["access_token"], "refresh_token": body["refresh_token"],
                "factor_id": factors[0]["id"]})
        return _public(body, claims), actor_from(claims, client_addr)

    def login_mfa(self, *, challenge: Challenge, code: str, client_addr: str | None,
                  consume: Callable[[], bool]) -> tuple[TokenBody, Actor, str]:
        upstream = challenge.upstream or {}
        token, factor_id = upstream.get("access_token", ""), upstream.get("factor_id", "")
        found = self.gotrue.challenge(access_token=token, factor_id=factor_id)
        try:
            body = self.gotrue.verify(access_token=token, factor_id=factor_id, challenge_id=str(found.get("id")),
                                      code=mfa.normalize_code(code))
        except WrongFactorCode as exc:
            raise InvalidSecondFactor(details=exc.details) from None
        if not consume():
            raise InvalidChallenge(details="the challenge was used meanwhile: log in again")
        claims = self._verify_issued(body["access_token"])
        return _public(body, claims), actor_from(claims, client_addr), mfa.TOTP

    def refresh(self, *, refresh_token: str, client_addr: str | None) -> tuple[TokenBody, Actor]:
        body = self.gotrue.refresh_grant(refresh_token=refresh_token)
        claims = self._verify_issued(body["access_token"])
        # A refresh keeps GoTrue's session_id, so a session ended in sdmd stays ended.
        if sessions.is_denied(self.db, session_id=claims["session_id"]):
            raise InvalidRefreshToken(details="session ended")
        return _public(body, claims), actor_from(claims, client_addr)

    def logout(self, *, claims: dict[str, Any], access_token: str) -> None:
        leeway = timedelta(seconds=self.settings.auth_leeway_seconds)
        token_end = datetime.fromtimestamp(int(claims["exp"]), UTC) + leeway
        # Ended in sdmd first: whatever GoTrue answers, this token is refused from now on.
        sessions.deny(self.db, session_id=claims["session_id"], until=token_end)
        try:
            self.gotrue.logout(access_token=access_token)
        except SdmdError:
            # GoTrue did not end it, so its refresh token may still mint tokens with this session_id.
            longer = token_end + timedelta(seconds=self.settings.auth_refresh_lifetime_seconds)
            sessions.deny(self.db, session_id=claims["session_id"], until=longer)
            raise

    def verify(self, token: str) -> dict[str, Any]:
        claims = self.verifier.verify(token)
        if sessions.is_denied(self.db, session_id=claims["session_id"]):
            raise InvalidToken("session ended")
        if self.settings.supabase_check_sessions and not self._supabase_session_exists(claims["session_id"]):
            raise InvalidToken("session not found in auth.sessions")
        return claims

    def _verify_issued(self, token: str) -> dict[str, Any]:
        try:
            return self.verifier.verify(token)
        except InvalidToken as exc:
            raise UpstreamError("auth service issued a token sdmd cannot verify",
                                f"{exc.details}; check SUPABASE_JWT_SECRET / the JWKS and SDMD_AUTH_ISSUER") from None

    def _supabase_session_exists(self, session_id: str) -> bool:
        if not UUID_RE.match(session_id):
            return False
        try:
            with self.db.session() as session:
                found = session.scalar(sa.text("SELECT 1 FROM auth.sessions WHERE id = CAST(:sid AS uuid)"),
                                       {"sid": session_id})
        except sa.exc.DBAPIError as exc:
            raise UpstreamUnavailable("auth sessions unavailable", f"auth.sessions: {exc.orig}") from None
        return found is not None


def verified_totp_factors(user: Any) -> list[dict[str, Any]]:
    """The user's verified TOTP factors, from the `user` object GoTrue sends with a session."""
    factors = user.get("factors") if isinstance(user, dict) else None
    return [f for f in factors or [] if isinstance(f, dict) and f.get("status") == "verified"
            and f.get("factor_type") == "totp" and f.get("id")]


def _public(body: dict[str, Any], claims: dict[str, Any]) -> TokenBody:
    """GoTrue's answer, trimmed to the same shape as local mode's."""
    expires_in = body["expires_in"]
    if not isinstance(expires_in, int):
        raise UpstreamError("auth service error", "token response has a malformed expires_in")
    return {"access_token": body["access_token"], "token_type": "bearer", "expires_in": expires_in,
            "expires_at": body.get("expires_at") or int(time.time()) + expires_in,
            "refresh_token": body["refresh_token"], "user": {"id": claims["sub"], "email": claims.get("email")}}
