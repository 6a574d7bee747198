"""Live tests: a real sdmd served by uvicorn in a thread (event streams and WebSockets need a real server;
the in-process TestClient buffers whole responses), real Docker, an SSE reader over httpx."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from sdmd.app import create_app
from sdmd.core import Core
from sdmd.live.server import Server
from tests.support import IMAGE_V1, wait_until
from tests.support_auth import ensure_user
from tests.web.conftest import free_port

# busybox as PID 1 ignores SIGTERM; `init: true` lets stop/restart/delete end it at once.
TICKER = {"image": IMAGE_V1, "init": True, "labels": {"sdmd.test": "1"},
          "command": ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick-$$i; sleep 0.2; done"]}


@dataclass
class Event:
    event: str
    data: Any
    id: str | None = None


def read_events(response: httpx.Response, *, until: str | tuple[str, ...] = ("result", "error", "end"),
                limit: float = 120.0) -> Iterator[Event]:
    """Server-sent events as they arrive; stops after an event named in `until`."""
    names = (until,) if isinstance(until, str) else until
    event, ident, data = "message", None, []
    deadline = time.monotonic() + limit
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {names} event within {limit}s")
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if line == "":
            if data:
                parsed = Event(event, json.loads("\n".join(data)), ident)
                yield parsed
                if parsed.event in names:
                    return
            event, ident, data = "message", None, []
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            event = value
        elif field == "id":
            ident = value
        elif field == "data":
            data.append(value)


@dataclass
class Live:
    url: str
    core: Core
    token: str
    server: Server
    app: Any

    @property
    def runtime(self) -> Any:
        """The app's live runtime (sdmd.live.runtime.Live): caps, the stats hub, open streams."""
        return self.app.state.live

    def client(self, token: str | None = None, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout,
                            headers={"Authorization": f"Bearer {token or self.token}"})

    def create(self, name: str, services: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.client() as c:
            r = c.post("/api/services", json={"name": name, "services": services or {"app": TICKER}})
            assert r.status_code == 201, r.text
            return r.json()


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    # Streams do not touch the database beyond auth and audit, which run on both databases elsewhere.
    return sqlite_database_url


@pytest.fixture
def live(core: Core) -> Iterator[Live]:
    ensure_user(core)
    token = core.auth.issue_local_session(email="tester@example.com")["access_token"]
    port = free_port()
    app = create_app(core=core)
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="sdmd-test-server", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="sdmd to listen")
        yield Live(f"http://127.0.0.1:{port}", core, token, server, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server did not stop: an open stream held it"
