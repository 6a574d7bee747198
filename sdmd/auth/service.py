"""Login (one or two steps), refresh, logout and credential checks for either backend, with throttling
and audit records; two-factor enrolment, the require-2FA policy and API tokens hang off it too."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from sdmd.audit.log import audited, record
from sdmd.auth import api_tokens, challenges, throttle, users
from sdmd.auth.backends import Backend, LocalBackend, SecondFactor, SupabaseBackend, TokenBody, actor_from
from sdmd.auth.enrolment import Enrolment, LocalEnrolment, SupabaseEnrolment
from sdmd.auth.errors import InvalidChallenge, InvalidCredentials, InvalidSecondFactor
from sdmd.auth.identity import Actor
from sdmd.auth.policy import SecurityPolicy
from sdmd.config import Settings
from sdmd.db.base import Database
from sdmd.errors import SdmdError, TooManyRequests
from sdmd.secretbox import SecretBox

MAX_TARGET = 128
MFA_METHODS_LOCAL = ["totp", "recovery_code"]
MFA_METHODS_SUPABASE = ["totp"]


class AuthService:
    def __init__(self, settings: Settings, db: Database, backend: Backend | None = None, *,
                 on_throttled: Callable[..., None] | None = None) -> None:
        self.settings = settings
        self.db = db
        self.on_throttled = on_throttled  # notifications: told (username, client_addr, details) of each 429
        self.box = SecretBox(settings.data_dir)
        if backend is None:
            backend = (LocalBackend(settings, db, self.box) if settings.auth_mode == "local"
                       else SupabaseBackend(settings, db))
        self.backend = backend
        self.policy = SecurityPolicy(settings, db)

    @property
    def is_local(self) -> bool:
        return isinstance(self.backend, LocalBackend)

    @cached_property
    def enrolment(self) -> Enrolment:
        if isinstance(self.backend, LocalBackend):
            return LocalEnrolment(self.settings, self.db, self.box, self.backend)
        return SupabaseEnrolment(self.settings, self.backend)  # type: ignore[arg-type]

    def login(self, *, username: str, password: str, client_addr: str | None) -> TokenBody:
        """Tokens; or, for a user with two-factor login, a challenge for POST /auth/login/mfa."""
        name = users.normalize(username)
        s = self.settings
        try:
            self._throttle(name, client_addr)
            result = self.backend.login(username=name, password=password, client_addr=client_addr)
        except InvalidCredentials as exc:
            self._failure(name, client_addr, "invalid credentials", exc.details)
            raise
        except TooManyRequests as exc:
            self._failed(name, client_addr, "throttled", exc.details)
            self._notify_throttled(name, client_addr, exc.details)
            raise
        except SdmdError as exc:  # the auth service is down or misbehaves: not the user's failure
            self._failed(name, client_addr, exc.message, exc.details)
            raise
        if isinstance(result, SecondFactor):
            # Failures stay counted until the whole login succeeds: a right password alone must not reset
            # the throttle, or guessing codes between correct passwords would never be slowed down.
            token = challenges.create(self.db, self.box, user_id=result.user_id, email=result.email,
                                      client_addr=client_addr, lifetime=s.mfa_challenge_seconds,
                                      upstream=result.upstream)
            return {"mfa_required": True, "mfa_token": token, "expires_in": s.mfa_challenge_seconds,
                    "methods": MFA_METHODS_LOCAL if self.is_local else MFA_METHODS_SUPABASE}
        body, actor = result
        return self._logged_in(name, body, actor, client_addr, method=None)

    def login_mfa(self, *, mfa_token: str, code: str, client_addr: str | None) -> TokenBody:
        """The second step: the challenge from login plus a code (a TOTP code or a recovery code)."""
        challenge = challenges.find(self.db, self.box, token=mfa_token)
        name = users.normalize(challenge.email)
        try:
            self._throttle(name, client_addr)
            body, actor, method = self.backend.login_mfa(
                challenge=challenge, code=code, client_addr=client_addr,
                consume=lambda: challenges.consume(self.db, challenge_id=challenge.id))
        except InvalidSecondFactor as exc:
            challenges.failed_attempt(self.db, challenge_id=challenge.id)
            self._failure(name, client_addr, "invalid two-factor code", exc.details)
            raise
        except (TooManyRequests, InvalidChallenge) as exc:
            self._failed(name, client_addr, exc.message, exc.details)
            raise
        except SdmdError as exc:
            self._failed(name, client_addr, exc.message, exc.details)
            raise
        return self._logged_in(name, body, actor, client_addr, method=method)

    def _logged_in(self, name: str, body: TokenBody, actor: Actor, client_addr: str | None, *,
                   method: str | None) -> TokenBody:
        throttle.clear(self.db, username=name, client_addr=client_addr)
        details: dict[str, Any] = {"mode": self.settings.auth_mode, "session_id": actor.session_id,
                                   "aal": actor.aal}
        if method:
            details["mfa"] = method
        record(self.db, actor=actor, action="auth.login", target_id=actor.id, target_name=_short(actor.email),
               client_addr=client_addr, details=details)
        # The UI sends someone who must enrol straight to Settings → Security.
        return {**body, "mfa_enrolment_required": self.policy.mfa_missing(actor)}

    def refresh(self, *, refresh_token: str, client_addr: str | None) -> TokenBody:
        # Not audited: a refresh continues a session that was audited when it began.
        body, actor = self.backend.refresh(refresh_token=refresh_token, client_addr=client_addr)
        return {**body, "mfa_enrolment_required": self.policy.mfa_missing(actor)}

    def logout(self, *, access_token: str, client_addr: str | None) -> None:
        claims = self.backend.verify(access_token)
        actor = actor_from(claims, client_addr)
        with audited(self.db, actor, "auth.logout", target_id=actor.id, target_name=_short(actor.email),
                     details={"session_id": actor.session_id}):
            self.backend.logout(claims=claims, access_token=access_token)

    def authenticate(self, *, access_token: str, client_addr: str | None) -> Actor:
        """The actor of a Bearer credential: an API token (sdmd_pat_...) or a session's access token."""
        if api_tokens.looks_like_token(access_token):
            return api_tokens.authenticate(self.db, token=access_token, client_addr=client_addr)
        return actor_from(self.backend.verify(access_token), client_addr)

    def issue_local_session(self, *, email: str, client_addr: str | None = None, aal: str = "aal1") -> TokenBody:
        """Local mode only: tokens for an existing user without a password (the test suite's fast path)."""
        if not isinstance(self.backend, LocalBackend):
            raise TypeError("sessions are issued without a password only in local mode")
        user = users.get(self.db, email=email)
        body, _ = self.backend.issue(user_id=user.id, email=user.email, client_addr=client_addr, aal=aal,
                                     mfa_method="totp" if aal == "aal2" else None)
        return body

    def _notify_throttled(self, name: str, client_addr: str | None, details: str | None) -> None:
        if self.on_throttled is not None:
            self.on_throttled(username=name, client_addr=client_addr, details=details)

    def _throttle(self, name: str, client_addr: str | None) -> None:
        s = self.settings
        throttle.check(self.db, username=name, client_addr=client_addr, max_failures=s.login_max_failures,
                       window=s.login_window_seconds)

    def _failure(self, name: str, client_addr: str | None, reason: str, details: Any) -> None:
        throttle.record_failure(self.db, username=name, client_addr=client_addr,
                                window=self.settings.login_window_seconds)
        self._failed(name, client_addr, reason, details)

    def _failed(self, name: str, client_addr: str | None, reason: str, details: Any) -> None:
        extra = {"reason": reason, "mode": self.settings.auth_mode}
        if details:
            extra["error_details"] = str(details)[:500]
        # The attempted name is the target, not the actor: nobody has proven who they are.
        record(self.db, actor=None, action="auth.login_failed", outcome="error", target_name=_short(name),
               client_addr=client_addr, details=extra)


def _short(value: str | None) -> str | None:
    return value[:MAX_TARGET] if value else value
