"""/auth/login (+ /auth/login/mfa), /auth/refresh, /auth/logout (public router: how a caller gets a token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sdmd.auth.dependencies import EnrollingActorDep, bearer_token, client_addr
from sdmd.deps import CoreDep
from sdmd.http_errors import error_responses

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    # The schema says what the validator below checks: a user name or an email, not both.
    model_config = ConfigDict(strict=True, json_schema_extra={"oneOf": [
        {"required": ["username"], "properties": {"username": {"type": "string"}}, "not": {"required": ["email"]}},
        {"required": ["email"], "properties": {"email": {"type": "string"}}, "not": {"required": ["username"]}}]})

    username: str | None = Field(default=None, min_length=1, max_length=320,
                                 description="email or user name; `email` is accepted as a synonym")
    email: str | None = Field(default=None, min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)

    @model_validator(mode="after")
    def _one_name(self) -> LoginRequest:
        if not (self.username or self.email):
            raise ValueError("username (or email) is required")
        if self.username and self.email and self.username.strip().lower() != self.email.strip().lower():
            raise ValueError("username and email differ; give one")
        return self

    @property
    def name(self) -> str:
        return self.username or self.email or ""


class RefreshRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    refresh_token: str = Field(min_length=1, max_length=1024)


class UserRead(BaseModel):
    id: str | None
    email: str | None


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    expires_at: int
    refresh_token: str
    user: UserRead
    mfa_enrolment_required: bool = Field(
        default=False, description="two-factor login is required and this session has not passed it: enrol "
                                   "an authenticator (POST /api/security/mfa/enrol); until then the API answers 403")


class MfaChallengeRead(BaseModel):
    """The password was right; the user has two-factor login. Send a code to POST /auth/login/mfa."""

    mfa_required: bool = True
    mfa_token: str = Field(description="single use, valid for expires_in seconds")
    expires_in: int
    methods: list[str] = Field(description="what the code may be: totp, recovery_code")


class MfaLoginRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    mfa_token: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=64, description="6-digit TOTP code, or a recovery code")


@router.post("/login", response_model=TokenRead | MfaChallengeRead,
             responses=error_responses(422, 429, 502, 503, e401="invalid credentials"))
def login(body: LoginRequest, request: Request, core: CoreDep) -> dict[str, Any]:
    """Wrong credentials → 401 `invalid credentials`; 5 failures per name or address in 5 min → 429.

    For a user with two-factor login the answer is `{"mfa_required": true, "mfa_token", ...}` instead of
    tokens: send the token with a code to POST /auth/login/mfa.
    """
    return core.auth.login(username=body.name, password=body.password, client_addr=client_addr(request))


@router.post("/login/mfa", response_model=TokenRead,
             responses=error_responses(422, 429, 502, 503, e401="invalid two-factor code"))
def login_mfa(body: MfaLoginRequest, request: Request, core: CoreDep) -> dict[str, Any]:
    """The login's second step. A wrong code → 401 `invalid two-factor code` and counts as a failed login
    (throttled like the password); an unknown, used or expired `mfa_token` → 401; a challenge dies after
    5 wrong codes."""
    return core.auth.login_mfa(mfa_token=body.mfa_token, code=body.code, client_addr=client_addr(request))


@router.post("/refresh", response_model=TokenRead, responses=error_responses(401, 422, 429, 503))
def refresh(body: RefreshRequest, request: Request, core: CoreDep) -> dict[str, Any]:
    """A new access token and refresh token; the old refresh token stops working."""
    return core.auth.refresh(refresh_token=body.refresh_token, client_addr=client_addr(request))


@router.post("/logout", status_code=204, responses=error_responses(401, 503))
def logout(request: Request, core: CoreDep) -> Response:
    """Ends the session of the Bearer token: that token gets 401 everywhere from now on."""
    core.auth.logout(access_token=bearer_token(request), client_addr=client_addr(request))
    return Response(status_code=204)


@router.get("/user", response_model=UserRead, responses=error_responses(401))
def user(actor: EnrollingActorDep) -> dict[str, Any]:
    """Who the Bearer token belongs to."""
    return {"id": actor.id, "email": actor.email}
