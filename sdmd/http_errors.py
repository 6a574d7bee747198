"""The HTTP side of sdmd/errors.py: the error body's schema, the routes' `responses=`, and the handlers
that map every error, once, to {"error", "details"}. API process only."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from sdmd.errors import DatabaseUnavailable, InsufficientStorage, SdmdError, disk_full_text, error_body

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import InterfaceError, OperationalError

log = logging.getLogger("sdmd.errors")


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
