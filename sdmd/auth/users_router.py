"""/api/users: built-in users managed from the web UI (local mode). Behind the API's login like every /api route."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from sdmd.auth import accounts
from sdmd.auth.dependencies import ActorDep
from sdmd.auth.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NAME_PATTERN
from sdmd.deps import CoreDep
from sdmd.http_errors import error_responses

router = APIRouter(prefix="/api/users", tags=["users"])


class AccountRead(BaseModel):
    id: str
    email: str = Field(description="the login name: an email address or a plain name such as admin")
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    active_sessions: int
    is_you: bool = Field(description="the account of the caller's token")


class AccountCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    email: str = Field(min_length=1, max_length=320, pattern=NAME_PATTERN, examples=["ops@example.com"],
                       description="an email address or a plain name: letters, digits and . _ % + @ -")
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="leave out to have one generated (returned once)")


class PasswordReset(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH,
                                 description="leave out to have one generated (returned once)")


class AccountWithPassword(BaseModel):
    user: AccountRead
    password: str | None = Field(description="the generated password, shown this once; null when one was given")


class AccountRemoved(BaseModel):
    id: str
    email: str
    status: str


SUPABASE = "users are managed in Supabase"


@router.get("", response_model=list[AccountRead], responses=error_responses(e409=SUPABASE))
def list_users(core: CoreDep, actor: ActorDep) -> list[dict[str, Any]]:
    """Built-in users, by name, with their last login and live sessions. 409 in Supabase mode."""
    return accounts.list_accounts(core, actor=actor)


@router.post("", status_code=201, response_model=AccountWithPassword,
             responses=error_responses(e409="user exists", e422="invalid user name"))
def add_user(body: AccountCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Add a user (audited as `user.create`). Without `password`, a random one is generated and
    returned in this answer only."""
    return accounts.add_account(core, actor=actor, email=body.email, password=body.password)


@router.post("/{user_id}/password", response_model=AccountWithPassword,
             responses=error_responses(e404="user not found", e422="invalid password"))
def reset_user_password(user_id: str, body: PasswordReset, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Set a new password (given, or generated and returned once) and end every session of that user
    (audited as `user.passwd`; resetting your own logs you out)."""
    return accounts.reset_password(core, actor=actor, user_id=user_id, password=body.password)


@router.delete("/{user_id}", response_model=AccountRemoved,
               responses=error_responses(e404="user not found", e409="the last user cannot be removed"))
def remove_user(user_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Remove a user, end their sessions and revoke their API tokens (audited as `user.remove`).
    Refused (409) for your own account and for the last user."""
    return accounts.remove_account(core, actor=actor, user_id=user_id)
