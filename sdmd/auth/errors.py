"""Authentication errors; all of them are 401s except where the caller should retry or wait."""

from __future__ import annotations

from sdmd.errors import Forbidden, Unauthorized

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


class InvalidChallenge(Unauthorized):
    """The login's second step with a challenge token that is unknown, used up or expired."""

    message = "invalid two-factor challenge"


class InvalidSecondFactor(Unauthorized):
    """A wrong two-factor code at login (it counts as a failed login)."""

    message = "invalid two-factor code"


class MfaRequired(Forbidden):
    """Two-factor login is required and this credential has not passed it (aal1). The header is RFC 9470's
    step-up signal, so a client (the web UI) can send the person to enrolment without reading the body."""

    message = "two-factor authentication required"

    def __init__(self, details: str | None = None) -> None:
        super().__init__(details=details, headers={
            "WWW-Authenticate": 'Bearer error="insufficient_user_authentication", '
                                'error_description="two-factor login required"'})
