"""Progress as server-sent events, on the same endpoints, opted into with `Accept: text/event-stream`.

Any write under /api (POST, PUT, PATCH, DELETE) that a client asks for with that Accept header runs
exactly as it always does, with a progress sink installed: what the operation reports while it runs
(compose's lines, pull layers, the health gate...) goes out as `progress` events, and the endpoint's
own answer becomes the last event: `result` ({"status", "body", "headers"}) for 2xx, or `error`
({"status", "error", "details"}, and "field" when the plain body has one) with the same status and body
the plain request would have had.

The middleware checks the Bearer token itself (the same check as every /api route): without valid
credentials the answer is the plain 401. Otherwise the stream starts at once with an `accepted`
event, so the client sees a reaction within milliseconds whatever the operation does first; every
later refusal (404, 409 for an unmanaged project, 422) is the stream's `error` event, with the status
the plain request would have had. A client that goes away does not stop the operation: it finishes
(and is audited) as it would have, and its events are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sdmd.errors import SdmdError
from sdmd.live import progress
from sdmd.live.streams import SSE_EVENT_SCHEMA, SSE_HEADERS, sse

log = logging.getLogger("sdmd.live.progress")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
KEPT_HEADERS = {"etag", "location", "x-request-id"}
KEEPALIVE_SECONDS = 15.0


def wants_events(scope: Scope) -> bool:
    for key, value in scope.get("headers") or []:
        if key == b"accept":
            return b"text/event-stream" in value.lower()
    return False


def _final_event(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    try:
        parsed: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = body.decode("utf-8", errors="replace")
    if status >= 400:
        data = parsed if isinstance(parsed, dict) else {"error": "error", "details": parsed}
        error = {"status": status, "error": data.get("error"), "details": data.get("details")}
        if data.get("field"):  # the part of the compose file the error points at (sdmd/errors.py)
            error["field"] = data["field"]
        return sse(error, event="error")
    kept = {k.decode().lower(): v.decode() for k, v in headers if k.decode().lower() in KEPT_HEADERS}
    return sse({"status": status, "body": parsed, "headers": kept}, event="result")


class ProgressMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in WRITE_METHODS
                or not scope["path"].startswith("/api/") or not wants_events(scope)):
            await self.app(scope, receive, send)
            return
        if not await _authenticated(scope):
            await self.app(scope, receive, send)  # the app answers its plain 401
            return
        await _Exchange(self.app, scope, receive, send).run()


async def _authenticated(scope: Scope) -> bool:
    core = getattr(getattr(scope.get("app"), "state", None), "core", None)
    header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    if core is None or scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        await run_in_threadpool(core.auth.authenticate, access_token=token.strip(), client_addr=None)
    except SdmdError:
        return False
    return True


class _Exchange:
    """One request in progress mode: the app runs as a task while events flow to the client."""

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.sink = progress.CallbackSink(lambda e: loop.call_soon_threadsafe(self.queue.put_nowait, ("event", e)))
        self.gone = asyncio.Event()
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def run(self) -> None:
        body = await self._read_body()
        if body is None:
            return
        await self._start_stream()
        self.sink.put({"kind": "accepted", "method": self.scope["method"], "path": self.scope["path"]})
        app_task = asyncio.create_task(self._run_app(body))
        watcher = asyncio.create_task(self._watch_disconnect())
        try:
            await self._relay()
        finally:
            await app_task  # the operation always runs to its end, whoever is still listening
            watcher.cancel()

    async def _read_body(self) -> bytes | None:
        chunks = []
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _watch_disconnect(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.gone.set()
        self.sink.closed = True

    async def _run_app(self, body: bytes) -> None:
        replayed = False

        async def app_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def app_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.headers = list(message.get("headers") or [])
            elif message["type"] == "http.response.body":
                self.body.extend(message.get("body", b""))

        with progress.publishing(self.sink):
            try:
                await self.app(self.scope, app_receive, app_send)
            except Exception:
                log.exception("unhandled error in %s %s", self.scope["method"], self.scope["path"])
                self.status, self.headers = 500, [(b"content-type", b"application/json")]
                self.body = bytearray(orjson.dumps({"error": "internal error", "details": None}))
            finally:
                self.queue.put_nowait(("done", None))

    async def _out(self, message: Message) -> None:
        if self.gone.is_set():
            return
        try:
            await self.send(message)
        except OSError:
            self.gone.set()
            self.sink.closed = True

    async def _start_stream(self) -> None:
        headers = [(k.lower().encode(), v.encode()) for k, v in SSE_HEADERS.items()]
        headers.append((b"content-type", b"text/event-stream; charset=utf-8"))
        await self._out({"type": "http.response.start", "status": 200, "headers": headers})

    async def _relay(self) -> None:
        while True:
            try:
                kind, event = await asyncio.wait_for(self.queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                await self._out({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
                continue
            if kind == "event":
                await self._out({"type": "http.response.body", "body": sse(event, event="progress"),
                                 "more_body": True})
                continue
            final = _final_event(self.status, self.headers, bytes(self.body))
            await self._out({"type": "http.response.body", "body": final, "more_body": False})
            return


# -- OpenAPI: say which operations stream their progress --------------------------------------------------
PROGRESS_DOC = (
    "\n\n**Progress:** send `Accept: text/event-stream` to receive the operation's steps as server-sent "
    "events while it runs (`event: progress`, JSON data with `kind`: accepted (first, at once), step, compose, "
    "pull, layer, gate, output, job), ending with `event: result` (`{status, body, headers}`, body as in the "
    "JSON answer) or `event: error` (`{status, error, details}`, compose's reason in words, plus `field` when "
    "the error points at a part of the compose file). Without valid credentials the answer is the plain 401."
)
STREAM_EXAMPLE = (
    'event: progress\ndata: {"seq":1,"t":0.0,"kind":"accepted","method":"POST","path":"/api/services/web/restart"}\n\n'
    'event: progress\ndata: {"seq":2,"t":0.004,"kind":"step","message":"docker compose restart"}\n\n'
    'event: progress\ndata: {"seq":3,"t":0.61,"kind":"compose","object":"container","name":"web-app-1",'
    '"status":"Started"}\n\n'
    'event: result\ndata: {"status":200,"body":{"id":"svc_...","status":"running"},"headers":{}}\n\n'
)


def document_progress(app: FastAPI, operations: set[tuple[str, str]]) -> None:
    """Adds the text/event-stream answer to the OpenAPI of the (method, path) operations that stream."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path, methods in schema.get("paths", {}).items():
            for method, operation in methods.items():
                if (method.upper(), path) not in operations:
                    continue
                operation["description"] = (operation.get("description") or operation.get("summary") or "") \
                    + PROGRESS_DOC
                for code, response in operation.get("responses", {}).items():
                    if code.startswith("2"):
                        response.setdefault("content", {})["text/event-stream"] = {
                            "schema": SSE_EVENT_SCHEMA, "example": STREAM_EXAMPLE}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
