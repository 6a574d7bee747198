"""Docker's /events as a long-lived stream, with bounded waits and a close() that works from any thread.

docker-py's `events()` waits for the response headers without any timeout (a SIGSTOPped daemon
accepts the connection and never answers, so it would hang forever) and cannot be cancelled before
it returns. This small client over http.client waits at most `timeout` for the subscription to be
confirmed (Docker sends the headers once it has subscribed, so events from then on are not lost),
then reads without a deadline: an idle daemon is normal, and liveness is checked separately (ping).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from sdmd.docker.endpoint import Endpoint

DEFAULT_SOCKET = "/var/run/docker.sock"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def tls_context(endpoint: Endpoint) -> ssl.SSLContext:
    assert endpoint.tls is not None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(endpoint.tls.ca))
    context.load_cert_chain(str(endpoint.tls.cert), str(endpoint.tls.key))
    return context


def connection(base_url: str | None, endpoint: Endpoint, timeout: float) -> http.client.HTTPConnection:
    url = base_url or DEFAULT_SOCKET
    if url.startswith("unix://") or url.startswith("/"):
        return _UnixConnection(url.removeprefix("unix://"), timeout)
    parts = urlsplit(url)
    if parts.scheme not in ("tcp", "http", "https"):
        raise ValueError(f"unsupported Docker URL for events: {url}")
    if endpoint.tls is not None:
        return http.client.HTTPSConnection(parts.hostname or "", parts.port or 2376, timeout=timeout,
                                           context=tls_context(endpoint))
    return http.client.HTTPConnection(parts.hostname or "", parts.port or 2375, timeout=timeout)


class EventStream:
    """One subscription. Iterate for decoded events; `close()` ends the iteration (from any thread)."""

    def __init__(self, endpoint: Endpoint, api_version: str, filters: dict[str, list[str]], timeout: float) -> None:
        self._conn = connection(endpoint.base_url, endpoint, timeout)
        self._path = f"/v{api_version}/events?filters={quote(json.dumps(filters))}"
        self._response: http.client.HTTPResponse | None = None
        self._closed = threading.Event()

    def open(self) -> EventStream:
        """Subscribe; returns once Docker confirmed (its response headers), or raises within the timeout."""
        try:
            self._conn.request("GET", self._path, headers={"Host": "docker"})
            response = self._conn.getresponse()
        except BaseException:
            self.close()
            raise
        if response.status != 200:
            body = response.read(2000).decode(errors="replace")
            self.close()
            raise ConnectionError(f"/events answered {response.status}: {body.strip()}")
        assert self._conn.sock is not None
        self._conn.sock.settimeout(None)  # idle streams are normal; liveness is checked by ping
        self._response = response
        return self

    def __iter__(self) -> Iterator[dict[str, Any]]:
        assert self._response is not None, "open() first"
        while not self._closed.is_set():
            try:
                line = self._response.readline()
            except Exception as exc:  # OSError, HTTPException, or http.client tripping over a closed socket
                if self._closed.is_set():
                    return
                raise ConnectionError(f"event stream broke: {exc}") from exc
            if not line:
                if self._closed.is_set():
                    return
                raise ConnectionError("event stream ended (daemon stopped?)")
            line = line.strip()
            if line:
                yield json.loads(line)

    def has_unread(self) -> bool:
        """Bytes waiting on the socket that no one read yet (a cheap, local check; never blocks)."""
        sock = self._conn.sock
        if sock is None or self._closed.is_set():
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return bool(readable)

    def close(self) -> None:
        self._closed.set()
        sock = self._conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # shutdown wakes a thread blocked reading; close() alone does not
                sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._conn.close()
