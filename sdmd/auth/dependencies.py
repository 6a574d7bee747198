"""The auth seam: every /api router depends on `current_actor`, so authentication lives in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sdmd.auth.errors import InvalidToken, MfaRequired
from sdmd.auth.identity import Actor

MAX_TOKEN_LENGTH = 16384
# Declares the Bearer scheme in OpenAPI (the /docs "Authorize" button); the checking is done below.
BEARER_SCHEME = HTTPBearer(auto_error=False, description="access_token from POST /auth/login, or an API token")


def client_addr(request: Request) -> str | None:
    # Behind trusted proxies (SDMD_TRUSTED_PROXIES) this is already the client's address, not the proxy's.
    return request.client.host if request.client else None


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise InvalidToken("missing bearer token")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("token too long")
    return token


def _authenticate(request: Request) -> Actor:
    actor = request.app.state.core.auth.authenticate(access_token=bearer_token(request),
                                                     client_addr=client_addr(request))
    request.state.actor = actor
    return actor


def current_actor(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
) -> Actor:
    """The caller proven by a valid Bearer token of a live session (or an API token), or 401.

    When two-factor login is required for everyone, a credential that has not passed it (aal1) is
    refused with 403 everywhere except the enrolment routes, which use `enrolling_actor`.
    """
    actor = _authenticate(request)
    if request.app.state.core.auth.policy.mfa_missing(actor):
        raise MfaRequired(details="two-factor login is required: enrol an authenticator in Settings → Security "
                                  "(POST /api/security/mfa/enrol), then log in again")
    return actor


def enrolling_actor(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_SCHEME)] = None,
) -> Actor:
    """Like current_actor, but an aal1 session may pass: it is how someone who must enrol gets to."""
    return _authenticate(request)


ActorDep = Annotated[Actor, Depends(current_actor)]
EnrollingActorDep = Annotated[Actor, Depends(enrolling_actor)]
