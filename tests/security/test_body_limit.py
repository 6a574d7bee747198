"""Bodies past SDMD_MAX_BODY_BYTES are refused with 413 before they are read whole, and nothing is
written: no folder, no database row, no audit record, no container."""

from __future__ import annotations

import json
import select
import socket
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.audit.models import AuditEntry
from sdmd.core import Core
from sdmd.services.models import DockerServiceConfig
from tests.support import IMAGE_V1, wait_until
from tests.support_auth import TEST_EMAIL, authenticate, ensure_user

MIB = 1024 * 1024
BIG = 20 * MIB


def nothing_written(core: Core, name: str) -> None:
    assert not (core.settings.stacks_dir / name).exists()
    with core.db.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DockerServiceConfig)) == 0
        actions = set(session.scalars(sa.select(AuditEntry.action)))
    assert not {a for a in actions if a.startswith("service.")}


def yaml_of_size(name: str, size: int) -> bytes:
    head = f"name: {name}\nservices:\n  app:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n# ".encode()
    return head + b"x" * (size - len(head) - 1) + b"\n"


def test_a_declared_20_mb_compose_body_is_413_and_nothing_is_written(client, core, unique_name):
    name = unique_name("big")
    response = client.post("/api/services", content=yaml_of_size(name, BIG),
                           headers={"Content-Type": "application/yaml"})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "request body too large"
    assert f"{BIG} bytes" in body["details"] and str(MIB) in body["details"]
    assert response.headers["x-content-type-options"] == "nosniff"  # still a proper sdmd answer
    nothing_written(core, name)


def test_the_limit_is_a_setting_and_smaller_bodies_go_through(core, unique_name):
    core.settings.max_body_bytes = 2048
    with TestClient(create_app(core=core)) as client:
        authenticate(client, core)
        name = unique_name("set")
        refused = client.post("/api/services", content=yaml_of_size(name, 4096),
                              headers={"Content-Type": "application/yaml"})
        assert refused.status_code == 413 and "2048 bytes" in refused.json()["details"]
        # Under the limit the body reaches the API, which judges it on its merits (here: invalid JSON).
        small = client.post("/api/services", content=b"{not json", headers={"Content-Type": "application/json"})
        assert small.status_code == 422 and small.json()["error"] == "invalid JSON"
        # Login bodies are bounded too: every route is.
        login = client.post("/auth/login", content=b'{"username": "' + b"a" * 4096 + b'"}',
                            headers={"Content-Type": "application/json"})
        assert login.status_code == 413
    nothing_written(core, name)


@pytest.fixture
def served(core: Core) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(core=core), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="uvicorn")
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _answer(conn: socket.socket) -> tuple[bytes, dict]:
    answer = b""
    while not (b"\r\n\r\n" in answer and answer.rstrip().endswith(b"}")):
        data = conn.recv(65536)  # the socket's timeout fails the test if no answer comes
        if not data:
            break
        answer += data
    status_line, _, rest = answer.partition(b"\r\n")
    return status_line, json.loads(rest.split(b"\r\n\r\n", 1)[1])


def _request_head(core: Core, extra: str) -> bytes:
    ensure_user(core)
    token = core.auth.issue_local_session(email=TEST_EMAIL)["access_token"]
    return (f"POST /api/services HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/yaml\r\n{extra}\r\n").encode()


def test_a_declared_20_mb_body_is_refused_before_one_byte_of_it_is_sent(served: int, core: Core):
    """A real server and a raw socket: the headers announce 20 MB, no body follows, and the 413 arrives
    anyway. The refusal never waits for (or reads) the body."""
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_request_head(core, f"Content-Length: {BIG}\r\n"))
        status_line, body = _answer(conn)
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert body["error"] == "request body too large"
    nothing_written(core, "any")


def test_a_chunked_body_is_cut_off_at_the_limit(served: int, core: Core, unique_name):
    """No Content-Length: 2 MiB of chunks are sent and the body is left unfinished. A server that read
    the whole body would wait forever; sdmd answers 413 once the count passes 1 MiB."""
    name = unique_name("chunked")
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", served), timeout=10) as conn:
        conn.sendall(_request_head(core, "Transfer-Encoding: chunked\r\n"))
        conn.sendall(f"{len(name) + 6:x}\r\nname: {name}\r\n".encode())
        for _ in range(2 * MIB // len(chunk)):
            # The server answers and closes once past the limit; a client that went on writing into the
            # closed connection would only get EPIPE, so stop as the answer arrives.
            if select.select([conn], [], [], 0)[0]:
                break
            try:
                conn.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
        status_line, body = _answer(conn)
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert "longer than 1048576 bytes" in body["details"]
    nothing_written(core, name)


def _body_operations(schema: dict) -> list[tuple[str, str, str]]:
    """(method, path with its parameters filled, content type) of every operation that takes a body."""
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch"):
                continue
            types = list((operation.get("requestBody") or {}).get("content") or {"application/json": {}})
            filled = path.replace("{", "x").replace("}", "")  # any value: the refusal comes before routing
            found += [(method.upper(), filled, t) for t in types]
    return found


def test_every_operation_that_takes_a_body_is_bounded_dry_runs_included(core, unique_name):
    """All of them, from the OpenAPI, whichever domain added them (PATCH merge patches, ?dry_run=true
    previews, env files, registries, users...): 413 with the error body, and nothing is written."""
    core.settings.max_body_bytes = 2048
    with TestClient(create_app(core=core)) as client:
        authenticate(client, core)
        with core.db.sessions() as session:
            audits_before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        operations = _body_operations(client.get("/openapi.json").json())
        assert ("PATCH", "/api/services/xservice_id", "application/merge-patch+json") in operations
        refused = []
        for method, path, content_type in operations:
            for query in ("", "?dry_run=true"):
                r = client.request(method, path + query, content=b"{" + b" " * 4096 + b"}",
                                   headers={"Content-Type": content_type})
                if r.status_code != 413 or r.json()["error"] != "request body too large":
                    refused.append((method, path + query, content_type, r.status_code))
        assert not refused, refused
        assert len(operations) >= 30
    with core.db.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits_before
    nothing_written(core, unique_name("none"))
