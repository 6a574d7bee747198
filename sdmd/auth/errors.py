"""Authentication errors; all of them are 401s except where the caller should retry or wait."""

from __future__ import annotations

from sdmd.errors import Unauthorized

BEARER = {"WWW-Authenticate": "Bearer"}


class InvalidToken(Unauthorized):
    """Any access token sdmd does not accept: the body never says more than `unauthorized` + why."""

    message = "unauthorized"

    def __init__(self, details: str | None = None) -> None:
        super().__init__(details=details, headers=BEARER)


class InvalidCredentials(Unauthorized):
    """The same answer for an unknown user and a wrong password."""

    message = "invalid credentials"


class InvalidRefreshToken(Unauthorized):
    message = "invalid refresh token"
