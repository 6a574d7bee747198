"""Request bodies are bounded before anyone reads them (SDMD_MAX_BODY_BYTES, 1 MiB by default).

A declared Content-Length past the limit is refused at once, without reading a byte of the body. A
body without one (chunked) is read into memory only up to the limit; one byte more and it is refused.
Either way the app never sees the request, so nothing is parsed, validated, written or applied, and
the answer is the usual 413 `{"error", "details"}`.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sdmd.errors import PayloadTooLarge, error_body


def _too_large(limit: int, what: str) -> tuple[int, bytes]:
    exc = PayloadTooLarge(details=f"{what}; the limit is {limit} bytes (SDMD_MAX_BODY_BYTES)")
    return exc.status, json.dumps(error_body(exc.message, exc.details)).encode()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _refuse(send, 400, error_body("invalid Content-Length", value.decode("latin-1")[:40]))
                    return
        if declared is not None:
            if declared > self.max_bytes:
                await _send(send, *_too_large(self.max_bytes, f"the body declares {declared} bytes"))
                return
            # The server enforces Content-Length framing, so the body cannot outgrow what it declared.
            await self.app(scope, receive, send)
            return
        buffered = await self._read_bounded(receive)
        if buffered is None:
            await _send(send, *_too_large(self.max_bytes, f"the body is longer than {self.max_bytes} bytes"))
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _read_bounded(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they pass the limit (the rest is never read)."""
        messages: list[Message] = []
        total = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # the client went away: let the app see it
                return messages
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()  # after the body: http.disconnect when the client leaves

    return replay


async def _refuse(send: Send, status: int, body: dict) -> None:
    await _send(send, status, json.dumps(body).encode())


async def _send(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
