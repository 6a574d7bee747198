"""One error hierarchy for sdmd. sdmd/http_errors.py maps it, once, to the JSON body {"error", "details"}.

Plain Python: the worker and the scheduler raise these too, and load neither FastAPI nor pydantic.
"""

from __future__ import annotations


class SdmdError(Exception):
    status = 500
    message = "internal error"

    def __init__(self, message: str | None = None, details: str | None = None, *, headers=None,
                 field: str | None = None):
        self.message = message or self.message
        self.details = details
        self.headers = headers or {}
        # Optional: where in the compose file the error points ("services.web.ports[0]"), for the UI to mark.
        self.field = field
        super().__init__(self.message if details is None else f"{self.message}: {details}")


class NotFound(SdmdError):
    status = 404
    message = "not found"


class Forbidden(SdmdError):
    status = 403
    message = "forbidden"


class PayloadTooLarge(SdmdError):
    status = 413
    message = "request body too large"


class Conflict(SdmdError):
    status = 409
    message = "conflict"


class InvalidInput(SdmdError):
    status = 422
    message = "invalid input"


class UnsupportedMediaType(SdmdError):
    status = 415
    message = "unsupported media type"


class ApplyFailed(SdmdError):
    """docker compose could not bring the stack to the requested state."""

    status = 422
    message = "service could not be applied"


class Unauthorized(SdmdError):
    status = 401
    message = "unauthorized"


class TooManyRequests(SdmdError):
    status = 429
    message = "too many requests"


class DockerUnavailable(SdmdError):
    status = 503
    message = "docker daemon unavailable"


class UpstreamUnavailable(SdmdError):
    status = 503
    message = "service unavailable"


class DatabaseUnavailable(SdmdError):
    """The database did not answer (restarting, down, or the connection dropped): try again shortly."""

    status = 503
    message = "database unavailable"


class InsufficientStorage(SdmdError):
    """The disk holding the stacks or data folder is full: nothing was written (or it was undone)."""

    status = 507
    message = "insufficient storage"


class UpstreamError(SdmdError):
    status = 502
    message = "upstream error"


class RegistryAuthFailed(SdmdError):
    """A registry refused sdmd's credentials (or wants some): 422, never 401, which means sdmd's own session."""

    status = 422
    message = "registry refused the credentials"


class RegistryRateLimited(SdmdError):
    """A registry answered 429 for longer than sdmd is willing to wait (Retry-After is passed on)."""

    status = 503
    message = "registry rate limit"


class Timeout(SdmdError):
    status = 504
    message = "timed out"


class HostUnreachable(UpstreamError):
    """A Docker host (local, tcp+TLS or ssh) did not answer; nothing was changed there."""

    message = "host unreachable"


class HostKeyChanged(Conflict):
    """An SSH host presented another host key than the one pinned: refused, never accepted silently."""

    message = "host key changed"


def disk_full_text(text: str) -> bool:
    text = text.lower()
    return "no space left on device" in text or "disk is full" in text or "disk quota exceeded" in text


def error_body(error: str, details: str | None = None, field: str | None = None) -> dict:
    """{"error", "details"}, plus "field" only when the error points at a part of the compose file."""
    body: dict = {"error": error, "details": details}
    if field:
        body["field"] = field
    return body
