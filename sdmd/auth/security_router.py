"""/api/security: the caller's two-factor login, the require-2FA setting, and API tokens.

The two-factor routes take an aal1 session too (someone who must enrol has no other way in); everything
else behind the usual check. Changing credentials or the policy takes a login session, not an API token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from sdmd.audit.log import audited
from sdmd.auth import api_tokens
from sdmd.auth.dependencies import ActorDep, EnrollingActorDep, bearer_token
from sdmd.auth.identity import Actor
from sdmd.auth.router import TokenRead
from sdmd.db.base import utcnow
from sdmd.deps import CoreDep
from sdmd.errors import Conflict, Forbidden
from sdmd.jsontypes import WHOLE_NUMBER

mfa_router = APIRouter(prefix="/api/security/mfa", tags=["security"])
router = APIRouter(prefix="/api/security", tags=["security"])

CODE = Field(min_length=1, max_length=64, description="a 6-digit code from the authenticator app, or a recovery code")


class MfaStatusRead(BaseModel):
    enabled: bool
    pending: bool = Field(description="an enrolment was started and not confirmed yet")
    enabled_at: str | None
    recovery_codes_left: int
    required: bool = Field(description="two-factor login is required for everyone")
    managed_by: str = Field(description="sdmd (local mode) or supabase")


class EnrolmentRead(BaseModel):
    secret: str = Field(description="base32, for typing into an authenticator app")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as a QR code: a data: URI of an SVG image")
    factor_id: str | None = Field(description="Supabase mode: pass it back to /enable")


class EnableRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    code: str = CODE
    factor_id: str | None = Field(default=None, max_length=64)


class CodeRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    code: str = CODE


class RecoveryCodesRead(BaseModel):
    recovery_codes: list[str] = Field(description="shown once; each works once")


class EnabledRead(RecoveryCodesRead):
    tokens: TokenRead = Field(description="this session, now aal2: use these tokens from now on")


class SecuritySettings(BaseModel):
    model_config = ConfigDict(strict=True)
    require_mfa: bool = Field(description="everyone must log in with a second factor")


class SecuritySettingsRead(SecuritySettings):
    require_mfa_forced: bool = Field(description="SDMD_REQUIRE_MFA=true: cannot be turned off here")


class TokenCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    name: str = Field(min_length=1, max_length=100, pattern=r"\S", examples=["ci deploy"])
    expires_in_days: Annotated[int, Field(ge=1, le=3650), WHOLE_NUMBER] | None = Field(
        default=None, description="none: never expires")


class ApiTokenRead(BaseModel):
    id: str
    name: str
    owner_id: str
    owner_email: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="the secret: shown only now; send it as `Authorization: Bearer <token>`")


def _status(core, actor: Actor, access_token: str) -> dict[str, Any]:
    auth = core.auth
    return {**auth.enrolment.status(actor, access_token), "required": auth.policy.require_mfa(),
            "managed_by": auth.enrolment.managed_by}


def _session(actor: Actor, what: str) -> None:
    if actor.is_api_token or not actor.session_id:
        raise Forbidden("a login session is needed", f"API tokens cannot {what}")


@mfa_router.get("", response_model=MfaStatusRead)
def mfa_status(request: Request, core: CoreDep, actor: EnrollingActorDep) -> dict[str, Any]:
    """Whether the caller has two-factor login, and whether everyone must."""
    return _status(core, actor, bearer_token(request))


@mfa_router.post("/enrol", response_model=EnrolmentRead)
def mfa_enrol(request: Request, core: CoreDep, actor: EnrollingActorDep) -> dict[str, Any]:
    """A new TOTP secret and its QR code; pending until confirmed with a code at /enable."""
    return core.auth.enrolment.enrol(actor, bearer_token(request))


@mfa_router.post("/enable", response_model=EnabledRead)
def mfa_enable(body: EnableRequest, request: Request, core: CoreDep, actor: EnrollingActorDep) -> dict[str, Any]:
    """Confirm the enrolment with a code: two-factor login is on, ten recovery codes are returned once,
    and this session becomes aal2 (use the returned tokens). The user's other aal1 sessions end."""
    with audited(core.db, actor, "security.mfa_enable", target_id=actor.id, target_name=actor.email):
        return core.auth.enrolment.enable(actor, bearer_token(request), code=body.code, factor_id=body.factor_id)


@mfa_router.post("/recovery-codes", response_model=RecoveryCodesRead)
def mfa_recovery_codes(body: CodeRequest, request: Request, core: CoreDep, actor: EnrollingActorDep) -> dict[str, Any]:
    """Ten new recovery codes (the old ones stop working), for a current code."""
    with audited(core.db, actor, "security.mfa_recovery_codes", target_id=actor.id, target_name=actor.email):
        return {"recovery_codes": core.auth.enrolment.regenerate(actor, bearer_token(request), code=body.code)}


@mfa_router.post("/disable", response_model=MfaStatusRead)
def mfa_disable(body: CodeRequest, request: Request, core: CoreDep, actor: EnrollingActorDep) -> dict[str, Any]:
    """Turn two-factor login off, for a current code or a recovery code; refused while it is required."""
    if core.auth.policy.require_mfa():
        raise Conflict("two-factor login is required for everyone", "an administrator must lift the requirement first")
    token = bearer_token(request)
    with audited(core.db, actor, "security.mfa_disable", target_id=actor.id, target_name=actor.email):
        core.auth.enrolment.disable(actor, token, code=body.code)
    return _status(core, actor, token)


@router.get("/settings", response_model=SecuritySettingsRead)
def get_settings(core: CoreDep) -> dict[str, Any]:
    policy = core.auth.policy
    return {"require_mfa": policy.require_mfa(), "require_mfa_forced": policy.forced}


@router.put("/settings", response_model=SecuritySettingsRead)
def put_settings(body: SecuritySettings, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Require two-factor login for everyone (or not). Turning it on needs the caller's own session to
    have passed a second factor, so nobody locks themselves into the enrolment page by accident."""
    _session(actor, "change security settings")
    policy = core.auth.policy
    if body.require_mfa and actor.aal != "aal2":
        raise Conflict("enable two-factor login for yourself first",
                       "this session has not passed a second factor (aal1)")
    with audited(core.db, actor, "security.settings", details={"require_mfa": body.require_mfa}):
        value = policy.set_require_mfa(body.require_mfa, actor=actor)
    return {"require_mfa": value, "require_mfa_forced": policy.forced}


def _token_view(info: api_tokens.TokenInfo) -> dict[str, Any]:
    return {"id": info.id, "name": info.name, "owner_id": info.owner_id, "owner_email": info.owner_email,
            "created_at": info.created_at, "expires_at": info.expires_at, "last_used_at": info.last_used_at,
            "revoked_at": info.revoked_at}


@router.get("/tokens", response_model=list[ApiTokenRead])
def list_tokens(core: CoreDep, include_revoked: bool = Query(default=False, description="also revoked and expired")
                ) -> list[dict[str, Any]]:
    """Every user's API tokens (all users administer sdmd alike), newest first; never their secrets."""
    return [_token_view(i) for i in api_tokens.list_tokens(core.db, include_inactive=include_revoked)]


@router.post("/tokens", status_code=201, response_model=ApiTokenCreated)
async def create_token(body: TokenCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """A personal access token acting as the caller. Its secret is in this answer only."""
    _session(actor, "make tokens")
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None

    def make() -> dict[str, Any]:
        with audited(core.db, actor, "token.create", target_name=body.name.strip(),
                     details={"expires_at": expires.isoformat() if expires else None}) as audit:
            info, secret = api_tokens.create(core.db, owner=actor, name=body.name, expires_at=expires)
            audit.target_id = info.id
        return {**_token_view(info), "token": secret}

    return await run_in_threadpool(make)


@router.delete("/tokens/{token_id}", response_model=ApiTokenRead)
def revoke_token(token_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Revoke a token: it gets 401 from now on. Revoking twice is fine."""
    info = api_tokens.get(core.db, token_id=token_id)
    with audited(core.db, actor, "token.revoke", target_id=info.id, target_name=info.name):
        return _token_view(api_tokens.revoke(core.db, token_id=token_id))
