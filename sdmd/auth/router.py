"""/auth/login, /auth/refresh, /auth/logout (public router: these are how a caller gets a token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator

from sdmd.auth.dependencies import ActorDep, bearer_token, client_addr
from sdmd.deps import CoreDep
from sdmd.errors import error_body

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
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


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    example = {"application/json": {"example": error_body("unauthorized", "why")}}
    return {code: {"description": "error", "content": example} for code in codes}


@router.post("/login", response_model=TokenRead, responses=_errors(401, 422, 429, 502, 503))
def login(body: LoginRequest, request: Request, core: CoreDep) -> dict[str, Any]:
    """Wrong credentials → 401 `invalid credentials`; 5 failures per name or address in 5 min → 429."""
    return core.auth.login(username=body.name, password=body.password, client_addr=client_addr(request))


@router.post("/refresh", response_model=TokenRead, responses=_errors(401, 422, 429, 503))
def refresh(body: RefreshRequest, request: Request, core: CoreDep) -> dict[str, Any]:
    """A new access token and refresh token; the old refresh token stops working."""
    return core.auth.refresh(refresh_token=body.refresh_token, client_addr=client_addr(request))


@router.post("/logout", status_code=204, responses=_errors(401, 503))
def logout(request: Request, core: CoreDep) -> Response:
    """Ends the session of the Bearer token: that token gets 401 everywhere from now on."""
    core.auth.logout(access_token=bearer_token(request), client_addr=client_addr(request))
    return Response(status_code=204)


@router.get("/user", response_model=UserRead, responses=_errors(401))
def user(actor: ActorDep) -> dict[str, Any]:
    """Who the Bearer token belongs to."""
    return {"id": actor.id, "email": actor.email}
