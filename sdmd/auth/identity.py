"""Who did something: a logged-in user, or one of sdmd's own background actors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: str | None
    email: str | None
    session_id: str | None = None
    client_addr: str | None = None

    @property
    def display_name(self) -> str:
        return self.email or self.id or "unknown"


SCHEDULER = Actor(id="scheduler", email=None)
GITOPS = Actor(id="gitops", email=None)
CLI = Actor(id="cli", email=None)
