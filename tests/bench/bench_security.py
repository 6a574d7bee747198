"""How fast an oversized body is refused, measured against real servers (not run by the suite).

    .venv/bin/python -m tests.bench.bench_security [/work/main]

Sends a 20 MB compose file (without services, so nothing is ever created) to POST /api/services three
ways (declared Content-Length with the whole body sent, declared Content-Length with no body sent,
chunked) and prints the time to the answer, beside a small valid request to the same server
(GET /api/health/status) as the unit. With a path to another checkout (e.g. the code before the body
limit), the whole-body request runs against that one too (it may take minutes there).
Also: the cost of one API-token check and one session-token check.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from contextlib import contextmanager, suppress

import httpx

from tests.bench.common import median, ms, sdmd_server, timed

BIG = 20 * 1024 * 1024
# No services: a server that reads and parses it all refuses it (422) without creating anything.
BODY = b"name: bench-too-big\n# " + b"x" * BIG + b"\n"


def head(client: httpx.Client, extra: str) -> bytes:
    return (f"POST /api/services HTTP/1.1\r\nHost: x\r\nAuthorization: {client.headers['Authorization']}\r\n"
            f"Content-Type: application/yaml\r\n{extra}\r\n").encode()


def until_answer(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def declared_no_body(client: httpx.Client, port: int) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        started = time.perf_counter()
        conn.sendall(head(client, f"Content-Length: {len(BODY)}\r\n"))
        conn.settimeout(30)
        try:
            status = until_answer(conn)
        except TimeoutError:
            status = b"(no answer within 30 s: the server waits for the body)"
        return time.perf_counter() - started, status


def chunked(client: httpx.Client, port: int) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        started = time.perf_counter()
        conn.sendall(head(client, "Transfer-Encoding: chunked\r\n"))
        conn.settimeout(30)
        with suppress(BrokenPipeError, ConnectionResetError, TimeoutError):  # the server stopped reading
            for offset in range(0, len(BODY), 65536):
                piece = BODY[offset:offset + 65536]
                conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        conn.settimeout(120)
        try:
            status = until_answer(conn) or b"(connection closed)"
        except ConnectionResetError:
            status = b"(connection reset)"
        return time.perf_counter() - started, status


def full(client: httpx.Client) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        code = client.post("/api/services", content=BODY, headers={"Content-Type": "application/yaml"}).status_code
    except httpx.TransportError as exc:  # the server answered and closed before the upload ended
        code = type(exc).__name__
    return time.perf_counter() - started, code


@contextmanager
def server(pythonpath: str | None):
    env = {"SDMD_GITOPS_WATCH": "false"}
    if pythonpath:  # that checkout's sdmd, not this one's from the working directory
        env.update(PYTHONPATH=pythonpath, PYTHONSAFEPATH="1")
    with sdmd_server(env) as client:
        yield client, int(client.base_url.port)


def run(label: str, pythonpath: str | None) -> None:
    with server(pythonpath) as (client, port):
        client.timeout = httpx.Timeout(900)
        unit = median(timed(lambda: client.get("/api/health/status"), runs=20))
        print(f"\n{label}: GET /api/health/status {ms(unit)} (the unit)")
        cases = [("Content-Length, whole body sent", lambda: full(client))]
        if not pythonpath:  # the others would leave a server without a limit busy with the body
            cases += [("Content-Length, no body sent", lambda: declared_no_body(client, port)),
                      ("chunked", lambda: chunked(client, port))]
        for name, fn in cases:
            seconds, status = fn()
            status = status.decode() if isinstance(status, bytes) else status
            print(f"  20 MB, {name:34s} {ms(seconds)}  ({seconds / unit:7.1f} x unit)  -> {status}")


def tokens() -> None:
    import pathlib
    import tempfile

    from sdmd.auth import api_tokens, users
    from sdmd.auth.identity import Actor
    from sdmd.config import Settings
    from sdmd.core import Core

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sdmd-bench-tokens-"))
    try:
        core = Core(Settings(data_dir=tmp / "d", stacks_dir=tmp / "s"))
        core.settings.ensure_dirs()
        core.db.migrate()
        user = users.create(core.db, email="bench@example.com", password="benchmark password")
        jwt_token = core.auth.issue_local_session(email=user.email)["access_token"]
        _, pat = api_tokens.create(core.db, owner=Actor(id=user.id, email=user.email), name="bench", expires_at=None)
        check = lambda t: core.auth.authenticate(access_token=t, client_addr=None)  # noqa: E731
        session = median(timed(lambda: check(jwt_token), runs=300, warmup=20))
        token = median(timed(lambda: check(pat), runs=300, warmup=20))
        print(f"\ncredential check (SQLite): session token {ms(session)}, API token {ms(token)} "
              f"({token / session:.2f} x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("SDMD_LOG_LEVEL", "WARNING")
    run("this checkout", None)
    if len(sys.argv) > 1:
        run(sys.argv[1], sys.argv[1])
    tokens()
