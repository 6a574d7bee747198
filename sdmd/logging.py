"""Log output for people (text) or collectors (SDMD_LOG_FORMAT=json: one JSON object per line).

Every record logged while a request is handled carries that request's id, the user once authentication
has run, and the action (the route's endpoint name), so one grep of a request id finds everything it did.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # starlette only in the API process; the CLI, worker and scheduler log without it
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Probes are polled every few seconds by Docker and orchestrators; their successes are not news.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})
# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth printing.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_CONTEXT_FIELDS = ("request_id", "user", "action")
_DROPPED_FIELDS = frozenset({"color_message"})  # uvicorn's ANSI-coloured copy of the message

request_log = logging.getLogger("sdmd.request")


@dataclass
class RequestContext:
    request_id: str
    scope: dict[str, Any] = field(repr=False)

    @property
    def user(self) -> str | None:
        # The auth dependency stores the actor in request.state, i.e. in scope["state"].
        actor = (self.scope.get("state") or {}).get("actor")
        if actor is None:
            return None
        return getattr(actor, "email", None) or getattr(actor, "id", None)

    @property
    def action(self) -> str | None:
        route = self.scope.get("route")
        return getattr(route, "name", None)

    @property
    def route(self) -> str | None:
        return getattr(self.scope.get("route"), "path", None)


_current: ContextVar[RequestContext | None] = ContextVar("sdmd_request", default=None)


def current_request_id() -> str | None:
    ctx = _current.get()
    return ctx.request_id if ctx else None


class ContextFilter(logging.Filter):
    """Stamps request id, user and action on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _current.get()
        for name in _CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, getattr(ctx, name) if ctx else None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name in _CONTEXT_FIELDS:
            event[name] = getattr(record, name, None)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in event and key not in _DROPPED_FIELDS:
                event[key] = value
        if record.exc_info:
            event["exc"] = self.formatException(record.exc_info)
        # One line per event, whatever the message holds: json.dumps escapes newlines.
        return json.dumps(event, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{line} [request {rid}]" if rid and record.name != request_log.name else line


def configure(log_format: str | None = None, level: str | None = None) -> None:
    """Route every logger (ours, uvicorn's, rq's, alembic's) through one handler in the chosen format."""
    if log_format is None or level is None:
        from sdmd.config import Settings

        settings = Settings()
        log_format = log_format or settings.log_format
        level = level or settings.log_level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rq.worker", "rq.scheduler"):
        lib = logging.getLogger(name)
        lib.handlers.clear()  # they install their own plain-text handlers otherwise
        lib.propagate = True
    # The request middleware logs each request once, with more context than uvicorn's access line.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.captureWarnings(True)  # Python's warnings as log events, not bare lines on stderr


class RequestContextMiddleware:
    """Gives each HTTP request an id (kept from X-Request-ID when sane), echoes it, and logs one event."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})
        ctx = RequestContext(request_id, scope)
        token = _current.set(ctx)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                from starlette.datastructures import MutableHeaders

                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
            request_log.log(level, "%s %s %s", scope.get("method"), path, status, extra={
                "method": scope.get("method"), "path": path, "route": ctx.route, "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": (scope.get("client") or (None,))[0],
            })
            _current.reset(token)
