"""Who did something: a logged-in user, or one of sdmd's own background actors."""

from __future__ import annotations

from dataclasses import dataclass

SESSION_TOKEN_NAME = "login session"


@dataclass(frozen=True)
class Actor:
    id: str | None
    email: str | None
    session_id: str | None = None
    client_addr: str | None = None
    # The credential that acted (audit records name it): a session id, pat_... or whk_..., and its name.
    token_id: str | None = None
    token_name: str | None = None
    # Authenticator assurance level of that credential: aal2 once a second factor was checked.
    aal: str | None = None

    @property
    def display_name(self) -> str:
        return self.email or self.id or "unknown"

    @property
    def credential_id(self) -> str | None:
        return self.token_id or self.session_id

    @property
    def credential_name(self) -> str | None:
        if self.token_name:
            return self.token_name
        return SESSION_TOKEN_NAME if self.session_id else None

    @property
    def is_api_token(self) -> bool:
        return bool(self.token_id and self.token_id.startswith("pat_"))


SCHEDULER = Actor(id="scheduler", email=None)
GITOPS = Actor(id="gitops", email=None)
CLI = Actor(id="cli", email=None)
