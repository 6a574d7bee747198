"""Real receivers for Apprise: an HTTP server for json:// URLs and an SMTP server (aiosmtpd) for
mailto://, both on 127.0.0.1 and run by the test."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_string
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonReceiver:
    """Collects what Apprise's json:// plugin posts: {"version", "title", "message", "type"}.

    `fail_next` answers that many requests with 503 first (a receiver having trouble);
    a receiver that is down is one that was never started (or stopped): nothing listens on its port.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_next = 0
        self.refused = 0
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def start(self) -> JsonReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        receiver.refused += 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    receiver.received.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def titles(self) -> list[str]:
        with self._lock:
            return [m["title"] for m in self.received]

    def messages(self, about: str | None = None) -> list[dict[str, Any]]:
        """What arrived; with `about`, only messages whose title names it. (The local host's model sees
        every container on the engine, so a test's channel also hears of other tests' containers.)"""
        with self._lock:
            return [m for m in self.received if about is None or about in m["title"]]

    def wait_for(self, count: int, timeout: float = 30.0, about: str | None = None) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.messages(about)) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} message(s) about {about!r} at {self.url}, got {self.received}")

    def settle(self, seconds: float = 2.0, about: str | None = None) -> list[dict[str, Any]]:
        """Wait a little longer, so that a duplicate would have arrived too."""
        time.sleep(seconds)
        return self.messages(about)


class SmtpReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[str, list[str], Message]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                receiver.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                                          message_from_string(envelope.content.decode("utf-8", "replace"))))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "ops@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=sdmd@example.com&to={to}"

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[tuple[str, list[str], Message]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")


def text_of(mail: Message) -> str:
    """The text/plain part of a mail Apprise sent."""
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8", "replace")
    return ""
