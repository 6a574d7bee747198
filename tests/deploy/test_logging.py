"""Log output: JSON lines with request id, user and action (SDMD_LOG_FORMAT=json), checked in process
and on a real `sdmd serve` process."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.logging import ContextFilter, JsonFormatter, TextFormatter


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged during the test, as sdmd's JSON handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def request_events(stream: io.StringIO) -> list[dict]:
    return [e for e in events(stream) if e["logger"] == "sdmd.request"]


def test_each_request_gets_an_id_echoed_in_the_response_and_logged(client: TestClient,
                                                                     captured: io.StringIO) -> None:
    r = client.get("/api/services")
    assert r.status_code == 200
    rid = r.headers["X-Request-ID"]
    assert len(rid) == 32
    (event,) = [e for e in request_events(captured) if e["request_id"] == rid]
    assert event["event"] == "GET /api/services 200"
    assert event["method"] == "GET" and event["path"] == "/api/services" and event["status"] == 200
    assert event["action"] == "list_services"
    assert event["route"] == "/api/services"
    assert event["user"]  # whoever the auth seam says made the call
    assert event["level"] == "info"
    assert isinstance(event["duration_ms"], float)


def test_a_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(client: TestClient,
                                                                    captured: io.StringIO) -> None:
    r = client.get("/api/services", headers={"X-Request-ID": "trace-abc.123"})
    assert r.headers["X-Request-ID"] == "trace-abc.123"
    bad = "x" * 65
    r = client.get("/api/services", headers={"X-Request-ID": bad})
    assert r.headers["X-Request-ID"] != bad
    ids = {e["request_id"] for e in request_events(captured)}
    assert "trace-abc.123" in ids and bad not in ids


def test_records_logged_inside_a_request_carry_its_context(tmp_path: Path, captured: io.StringIO) -> None:
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks",
                        docker_host=f"unix://{tmp_path}/no-docker.sock")
    with TestClient(create_app(core=Core(settings))) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    rid = r.headers["X-Request-ID"]
    # the error handler's warning, written while the request was being handled
    (warning,) = [e for e in events(captured) if e["logger"] == "sdmd.errors" and e["request_id"] == rid]
    assert warning["level"] == "warning" and warning["action"] == "readyz"
    assert warning["event"].startswith("not ready: docker")
    (done,) = [e for e in request_events(captured) if e["request_id"] == rid]
    assert done["status"] == 503 and done["level"] == "info"


def test_probe_successes_are_debug_and_failures_are_info(anonymous_client: TestClient,
                                                         captured: io.StringIO) -> None:
    anonymous_client.get("/healthz")
    anonymous_client.get("/no/such/page")
    levels = {e["path"]: e["level"] for e in request_events(captured)}
    assert levels["/healthz"] == "debug"
    assert levels["/no/such/page"] == "info"


def test_a_multiline_message_and_traceback_stay_one_json_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    log = logging.getLogger("sdmd.test.multiline")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError("first\nsecond")
        except ValueError:
            log.exception("compose said:\nline two", extra={"service": "web"})
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert event["event"] == "compose said:\nline two"
    assert event["service"] == "web"
    assert "ValueError: first\nsecond" in event["exc"]
    assert event["request_id"] is None and event["level"] == "error"


def test_text_format_names_the_request_id() -> None:
    record = logging.LogRecord("sdmd.docker", logging.WARNING, __file__, 1, "pull failed", None, None)
    record.request_id = "abc123"
    assert TextFormatter().format(record).endswith("sdmd.docker: pull failed [request abc123]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sdmd_serve_writes_only_json_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "SDMD_LOG_FORMAT": "json", "SDMD_DATA_DIR": str(tmp_path / "data"),
           "SDMD_STACKS_DIR": str(tmp_path / "stacks"), "SDMD_ADMIN_EMAIL": "admin@example.com",
           "SDMD_ADMIN_PASSWORD": "correct-horse-battery-staple"}
    env.pop("SDMD_DATABASE_URL", None)
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "sdmd.cli", "serve", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "sdmd serve did not come up"
            time.sleep(0.2)
        r = httpx.get(f"http://127.0.0.1:{port}/no-such-page", headers={"X-Request-ID": "e2e-1"})
        assert r.status_code == 404 and r.headers["x-request-id"] == "e2e-1"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    lines = [line for line in stderr.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is one JSON event
    assert all({"ts", "level", "logger", "event", "request_id", "user", "action"} <= set(e) for e in parsed)
    (hit,) = [e for e in parsed if e["request_id"] == "e2e-1"]
    assert hit["logger"] == "sdmd.request" and hit["status"] == 404
    assert any(e["logger"].startswith("uvicorn") for e in parsed)  # the server's own lines, as JSON too
    assert not any(e["logger"] == "uvicorn.access" for e in parsed)  # one event per request, ours
