"""One error hierarchy for sdmd, mapped once to the JSON body {"error", "details"}."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # FastAPI only in the API process: the worker and the scheduler raise these too
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("sdmd.errors")


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


class ErrorRead(BaseModel):
    """Every error body. `field` appears only when sdmd can say which part of the compose file caused it."""

    error: str = Field(description="short, in plain words; what the UI shows",
                       examples=["The image 127.0.0.1:5000/team/app:v9 was not found in its registry"])
    details: str | None = Field(default=None, description="technical: compose's or Docker's own output")
    field: str | None = Field(default=None, description="the compose path the error points at, e.g. "
                              "services.web.ports[0], services.web.image, services.web.command",
                              examples=["services.web.ports[0]"])


def error_responses(*codes: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for the errors a route gives beyond those of every route of its kind, e.g.
    `error_responses(429, e404="host not found")`: e<code>= words the description and the example's `error`.

    sdmd.openapi.document_errors adds the common ones (401, 404, 409, 413, 422, 503... by method and path)
    and makes ErrorRead the body of every error response, so this is the one place a route says more.
    """
    responses: dict[int | str, dict[str, Any]] = {code: {"model": ErrorRead} for code in codes}
    for key, text in described.items():
        responses[int(key.removeprefix("e"))] = {
            "model": ErrorRead, "description": text,
            "content": {"application/json": {"example": error_body(text)}}}
    return responses


def _validation_details(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
    return "; ".join(parts)


def add_exception_handlers(app: FastAPI) -> None:
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import InterfaceError, OperationalError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(SdmdError)
    async def _sdmd_error(_: Request, exc: SdmdError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("%s: %s", exc.message, exc.details)
        return JSONResponse(error_body(exc.message, exc.details, exc.field), status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid input", _validation_details(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        names = {400: "bad request", 404: "not found", 405: "method not allowed", 401: "unauthorized",
                 413: "request body too large"}
        error = names.get(exc.status_code, str(exc.detail) if exc.detail else "error")
        details = None if exc.detail in (None, error) or isinstance(exc.detail, dict) else str(exc.detail)
        if exc.status_code == 404 and details == "Not Found":
            details = None
        if exc.status_code == 405 and details == "Method Not Allowed":
            details = None
        return JSONResponse(error_body(error, details), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database(_: Request, exc: OperationalError | InterfaceError) -> JSONResponse:
        # Connection refused, server shutting down, connection dropped mid-query: the pool reconnects
        # (pool_pre_ping) once the server is back, so the client can simply retry.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:500]
        if disk_full_text(detail):  # SQLite on a full disk: "database or disk is full"
            return JSONResponse(error_body(InsufficientStorage.message, detail), status_code=507)
        log.warning("database unavailable: %s", detail)
        return JSONResponse(error_body(DatabaseUnavailable.message, detail), status_code=503,
                            headers={"Retry-After": "2"})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(error_body("internal error", type(exc).__name__), status_code=500)
