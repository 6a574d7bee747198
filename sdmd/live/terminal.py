"""A terminal in the browser: `docker exec` with a TTY behind a WebSocket.

Authentication: browsers cannot set headers on a WebSocket, and a token in the URL would end up in
access logs, so the client offers two subprotocols, `sdmd.terminal.v1` and `bearer.<access token>`;
the server checks the token exactly as for every /api call and answers with `sdmd.terminal.v1` only.
The `Origin` header must be sdmd's own (or one of SDMD_WS_ALLOWED_ORIGINS): a page on another origin
cannot open a terminal even with the user's cookies or a stolen tab. Refusals happen before the
handshake completes (HTTP 403).

Wire: binary frames carry keystrokes (client to server) and the TTY's output (server to client); text
frames are JSON control messages: the client sends {"type": "resize", "cols", "rows"}, the server
{"type": "ready", "shell"} and {"type": "exit", "code", "reason"}. Docker has no way to end an exec,
so the shell is started as `<shell> -c 'printf <its pid>; exec <shell>'` and ended with a kill of
that pid when the page goes away. Opening and closing are audited; keystrokes are not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from sdmd.audit.log import record
from sdmd.auth.identity import Actor
from sdmd.docker import DockerGateway
from sdmd.docker.live import ExecSession
from sdmd.errors import Conflict, SdmdError
from sdmd.live.actions import find_container
from sdmd.live.runtime import Live, get_live
from sdmd.live.streams import Bridge
from sdmd.services import service

log = logging.getLogger("sdmd.live.terminal")

router = APIRouter(prefix="/api", tags=["live"])

PROTOCOL = "sdmd.terminal.v1"
BEARER_PREFIX = "bearer."
SHELLS = ("sh", "bash")
_PID_MARK = re.compile(rb"\x1b\]sdmd;pid=(\d+)\x07")


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """No Origin (a non-browser client) is allowed; a browser's must be this server's own or listed."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in {o.rstrip("/") for o in allowed}:
        return True
    host = websocket.headers.get("host", "")
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def offered_token(websocket: WebSocket) -> str | None:
    for protocol in websocket.scope.get("subprotocols") or []:
        if protocol.startswith(BEARER_PREFIX):
            return protocol[len(BEARER_PREFIX):]
    return None


class TerminalSession:
    def __init__(self, live: Live, websocket: WebSocket, actor: Actor, gateway: DockerGateway, *, service_id: str,
                 service_name: str, container: dict[str, Any], shell: str, token: str) -> None:
        self.live, self.ws, self.actor, self.token = live, websocket, actor, token
        self.docker = gateway  # the service's host
        self.service_id, self.service_name = service_id, service_name
        self.container, self.shell = container, shell
        self.session: ExecSession | None = None
        self.pid: int | None = None
        self.head = b""
        self.last_activity = time.monotonic()
        self.output: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.reason = "closed by the client"
        self.bridge: Bridge | None = None

    def _audit(self, action: str, outcome: str = "ok", **details: Any) -> None:
        record(self.live.core.db, actor=self.actor, action=action, outcome=outcome, target_id=self.service_id,
               target_name=self.service_name, client_addr=self.actor.client_addr,
               details={"host": self.docker.host, "container": self.container["name"],
                        "container_id": self.container["id"],
                        "shell": self.shell, **details})

    async def open(self, cols: int, rows: int) -> None:
        command = [self.shell, "-c", f"printf '\\033]sdmd;pid=%s\\007' $$; exec {self.shell}"]
        try:
            self.session = await run_in_threadpool(
                self.docker.exec_open, self.container["id"], command,
                env={"TERM": "xterm-256color", "COLORTERM": "truecolor"}, cols=cols, rows=rows)
        except SdmdError as exc:
            await run_in_threadpool(self._audit, "terminal.open", "error", error=exc.message,
                                    error_details=exc.details)
            raise
        await run_in_threadpool(self._audit, "terminal.open", exec_id=self.session.exec_id)
        sock = self.session.sock
        self.bridge = Bridge(f"exec-{self.session.exec_id[:12]}", lambda: _SocketReader(sock),
                             self.output.put_nowait, lambda _error: self.output.put_nowait(None)).start()

    def _strip_pid(self, chunk: bytes) -> bytes:
        """The shell's first bytes name its pid (for ending it later); the person never sees them."""
        if self.pid is not None or len(self.head) > 4096:
            return chunk
        self.head += chunk
        mark = _PID_MARK.search(self.head)
        if mark is None:
            return b"" if len(self.head) <= 4096 else self.head
        self.pid = int(mark[1])
        rest = self.head[:mark.start()] + self.head[mark.end():]
        self.head = b""
        return rest

    async def pump_output(self) -> None:
        while (chunk := await self.output.get()) is not None:
            self.last_activity = time.monotonic()
            if data := self._strip_pid(chunk):
                await self.ws.send_bytes(data)
        if self.pid is None and self.head:  # the shell never started: show what the runtime said instead
            await self.ws.send_bytes(self.head)
        self.reason = "the shell exited"

    async def pump_input(self) -> None:
        assert self.session is not None
        sock = self.session.sock
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            self.last_activity = time.monotonic()
            if message.get("bytes"):
                await anyio.to_thread.run_sync(sock.sendall, message["bytes"])
            elif message.get("text"):
                self._control(message["text"])

    def _control(self, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            return
        if isinstance(msg, dict) and msg.get("type") == "resize" and self.session is not None:
            cols, rows = _size(msg.get("cols")), _size(msg.get("rows"))
            if cols and rows:
                asyncio.get_running_loop().run_in_executor(None, lambda: self.docker.exec_resize(
                    self.session.exec_id, cols=cols, rows=rows))  # type: ignore[union-attr]

    async def watch_idle(self) -> None:
        """Ends the session after `terminal_idle_seconds` without input or output, and once its token no
        longer holds (a logout, an expiry), re-checked as often as the event streams re-check theirs."""
        settings = self.live.core.settings
        idle, every = settings.terminal_idle_seconds, settings.stream_auth_recheck_seconds
        next_check = time.monotonic() + every
        while True:
            now = time.monotonic()
            left = self.last_activity + idle - now
            if left <= 0:
                self.reason = f"no activity for {idle:.0f}s"
                return
            if now >= next_check:
                next_check = now + every
                if reason := await self.live.recheck(self.token):
                    self.reason = f"unauthorized: {reason}"
                    return
            await asyncio.sleep(max(0.01, min(left, 5.0, next_check - now)))

    def end_shell(self) -> int | None:
        """Ends the shell if it still runs (HUP, then KILL), closes the connection; returns its exit code."""
        session = self.session
        if session is None:
            return None
        info = self.docker.exec_inspect(session.exec_id) or {}
        if info.get("Running") and self.pid:
            for signal in ("HUP", "KILL"):
                self.docker.exec_quick(self.container["id"], [self.shell, "-c", f"kill -{signal} {self.pid}"])
                for _ in range(10):
                    info = self.docker.exec_inspect(session.exec_id) or {}
                    if not info.get("Running"):
                        break
                    time.sleep(0.1)
                if not info.get("Running"):
                    break
        elif info.get("Running"):  # no pid seen: an end-of-file at the prompt ends most shells
            with contextlib.suppress(OSError):
                session.sock.sendall(b"\x03\x04")
        if self.bridge is not None:
            self.bridge.close()
        session.close()
        info = self.docker.exec_inspect(session.exec_id) or {}
        return info.get("ExitCode")


class _SocketReader:
    def __init__(self, sock: Any) -> None:
        self.sock = sock

    def __iter__(self) -> _SocketReader:
        return self

    def __next__(self) -> bytes:
        try:
            data = self.sock.recv(65536)
        except OSError:
            raise StopIteration from None
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        pass  # the ExecSession owns the socket


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and 1 <= value <= 1000 else None


@router.websocket("/services/{service_id}/containers/{container}/terminal")
async def terminal(websocket: WebSocket, service_id: str, container: str,
                   shell: str = Query("sh"), cols: int = Query(80, ge=1, le=1000),
                   rows: int = Query(24, ge=1, le=1000)) -> None:
    live = get_live(websocket)
    core = live.core
    if not origin_allowed(websocket, core.settings.ws_allowed_origins):
        await websocket.close(code=4403, reason="origin not allowed")
        return
    token = offered_token(websocket)
    if PROTOCOL not in (websocket.scope.get("subprotocols") or []) or token is None:
        await websocket.close(code=4401, reason=f"offer the subprotocols {PROTOCOL} and bearer.<token>")
        return
    try:
        client = websocket.client.host if websocket.client else None
        actor = await run_in_threadpool(core.auth.authenticate, access_token=token, client_addr=client)
    except SdmdError:
        await websocket.close(code=4401, reason="unauthorized")
        return
    if shell not in SHELLS:
        await websocket.close(code=4422, reason=f"shell must be one of {', '.join(SHELLS)}")
        return
    try:
        config = await run_in_threadpool(service.managed, core, service_id)
        target = await run_in_threadpool(find_container, core, config.host, config.name, container)
        gateway = await run_in_threadpool(service.gateway_of, core, config.host)
        if target["state"] != "running":
            raise Conflict("container is not running", f"{target['name']} is {target['state']}")
        lease = live.limits.acquire(actor, "terminal")
    except SdmdError as exc:
        await websocket.close(code=4000 + min(exc.status, 999), reason=exc.message[:120])
        return
    session = TerminalSession(live, websocket, actor, gateway, service_id=config.id, service_name=config.name,
                              container=target, shell=shell, token=token)
    stop = asyncio.Event()
    live.add_stopper(stop.set)
    try:
        await websocket.accept(subprotocol=PROTOCOL)
        try:
            await session.open(cols, rows)
        except SdmdError as exc:
            await websocket.send_text(json.dumps({"type": "exit", "code": None, "reason": exc.message}))
            await websocket.close(code=1011)
            return
        await websocket.send_text(json.dumps({"type": "ready", "shell": shell, "container": target["name"]}))
        await _until_first_done(session.pump_output(), session.pump_input(), session.watch_idle(), stop.wait())
        if stop.is_set():
            session.reason = "sdmd is stopping"
    except WebSocketDisconnect:
        session.reason = "closed by the client"
    finally:
        live.stoppers.discard(stop.set)
        code = await run_in_threadpool(session.end_shell)
        lease.release()
        if session.session is not None:
            await run_in_threadpool(session._audit, "terminal.close", exit_code=code, reason=session.reason)
        try:
            await websocket.send_text(json.dumps({"type": "exit", "code": code, "reason": session.reason}))
            await websocket.close()
        except Exception:  # the client is already gone
            pass


async def _until_first_done(*coroutines: Any) -> None:
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
