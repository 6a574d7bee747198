"""Login, refresh, logout and token checks for either backend, with throttling and audit records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sdmd.audit.log import audited, record
from sdmd.auth import throttle, users
from sdmd.auth.backends import Backend, LocalBackend, SupabaseBackend, TokenBody, actor_from
from sdmd.auth.errors import InvalidCredentials
from sdmd.auth.identity import Actor
from sdmd.config import Settings
from sdmd.db.base import Database
from sdmd.errors import SdmdError, TooManyRequests

MAX_TARGET = 128


class AuthService:
    def __init__(self, settings: Settings, db: Database, backend: Backend | None = None, *,
                 on_throttled: Callable[..., None] | None = None) -> None:
        self.settings = settings
        self.db = db
        self.on_throttled = on_throttled  # notifications: told (username, client_addr, details) of each 429
        if backend is None:
            backend = LocalBackend(settings, db) if settings.auth_mode == "local" else SupabaseBackend(settings, db)
        self.backend = backend

    @property
    def is_local(self) -> bool:
        return isinstance(self.backend, LocalBackend)

    def login(self, *, username: str, password: str, client_addr: str | None) -> TokenBody:
        name = users.normalize(username)
        s = self.settings
        try:
            throttle.check(self.db, username=name, client_addr=client_addr, max_failures=s.login_max_failures,
                           window=s.login_window_seconds)
            body, actor = self.backend.login(username=name, password=password, client_addr=client_addr)
        except InvalidCredentials as exc:
            throttle.record_failure(self.db, username=name, client_addr=client_addr, window=s.login_window_seconds)
            self._failed(name, client_addr, "invalid credentials", exc.details)
            raise
        except TooManyRequests as exc:
            self._failed(name, client_addr, "throttled", exc.details)
            self._notify_throttled(name, client_addr, exc.details)
            raise
        except SdmdError as exc:  # the auth service is down or misbehaves: not the user's failure
            self._failed(name, client_addr, exc.message, exc.details)
            raise
        throttle.clear(self.db, username=name, client_addr=client_addr)
        record(self.db, actor=actor, action="auth.login", target_id=actor.id, target_name=_short(actor.email),
               client_addr=client_addr, details={"mode": s.auth_mode, "session_id": actor.session_id})
        return body

    def refresh(self, *, refresh_token: str, client_addr: str | None) -> TokenBody:
        # Not audited: a refresh continues a session that was audited when it began.
        body, _ = self.backend.refresh(refresh_token=refresh_token, client_addr=client_addr)
        return body

    def logout(self, *, access_token: str, client_addr: str | None) -> None:
        claims = self.backend.verify(access_token)
        actor = actor_from(claims, client_addr)
        with audited(self.db, actor, "auth.logout", target_id=actor.id, target_name=_short(actor.email),
                     details={"session_id": actor.session_id}):
            self.backend.logout(claims=claims, access_token=access_token)

    def authenticate(self, *, access_token: str, client_addr: str | None) -> Actor:
        return actor_from(self.backend.verify(access_token), client_addr)

    def issue_local_session(self, *, email: str, client_addr: str | None = None) -> TokenBody:
        """Local mode only: tokens for an existing user without a password (the test suite's fast path)."""
        if not isinstance(self.backend, LocalBackend):
            raise TypeError("sessions are issued without a password only in local mode")
        user = users.get(self.db, email=email)
        body, _ = self.backend.issue(user_id=user.id, email=user.email, client_addr=client_addr)
        return body

    def _notify_throttled(self, name: str, client_addr: str | None, details: str | None) -> None:
        if self.on_throttled is not None:
            self.on_throttled(username=name, client_addr=client_addr, details=details)

    def _failed(self, name: str, client_addr: str | None, reason: str, details: Any) -> None:
        extra = {"reason": reason, "mode": self.settings.auth_mode}
        if details:
            extra["error_details"] = str(details)[:500]
        # The attempted name is the target, not the actor: nobody has proven who they are.
        record(self.db, actor=None, action="auth.login_failed", outcome="error", target_name=_short(name),
               client_addr=client_addr, details=extra)


def _short(value: str | None) -> str | None:
    return value[:MAX_TARGET] if value else value
