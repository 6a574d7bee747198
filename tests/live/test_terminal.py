"""The terminal: a WebSocket to `docker exec` with a TTY. Authenticated with the same JWT (offered as a
subprotocol), Origin checked, resizable, the exec ended when the socket closes, opening and closing audited."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.live.conftest import Live
from tests.support import IMAGE_V1, compose, docker_api, wait_until

SLEEPY = {"image": IMAGE_V1, "init": True, "command": ["sleep", "3600"]}


def open_terminal(live: Live, service: str, container: str, *, token: str | None = None, origin: str | None = None,
                  **query) -> ClientConnection:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    url = live.url.replace("http://", "ws://") + f"/api/services/{service}/containers/{container}/terminal?{params}"
    protocols = ["sdmd.terminal.v1", f"bearer.{token or live.token}"]
    return connect(url, subprotocols=protocols, origin=origin or live.url, open_timeout=20)


def read_until(ws: ClientConnection, text: bytes, timeout: float = 10) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while text not in seen:
        message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(message, bytes):
            seen += message
    return seen


def running_execs(container: str) -> list[str]:
    api = docker_api()
    try:
        ids = api.inspect_container(container).get("ExecIDs") or []
        return [i for i in ids if api.exec_inspect(i)["Running"]]
    finally:
        api.close()


def audit(live: Live, name: str) -> list[dict]:
    with live.client() as c:
        return list(reversed(c.get("/api/audit", params={"target": name, "action": "terminal.*"}).json()["items"]))


def test_type_echo_hi_read_hi_resize_and_close(live: Live, unique_name) -> None:
    name = unique_name("t")
    live.create(name, {"app": SLEEPY})
    container = f"{name}-app-1"
    with open_terminal(live, name, container, cols=100, rows=30) as ws:
        assert ws.subprotocol == "sdmd.terminal.v1"  # never the token back
        ready = json.loads(ws.recv(timeout=10))
        assert ready == {"type": "ready", "shell": "sh", "container": container}
        ws.send(b"echo hi\n")
        assert b"\r\nhi\r\n" in read_until(ws, b"\r\nhi\r\n")
        ws.send(b"stty size\n")
        assert b"30 100" in read_until(ws, b"30 100")
        ws.send(json.dumps({"type": "resize", "cols": 120, "rows": 40}))
        time.sleep(0.3)
        ws.send(b"stty size\n")
        assert b"40 120" in read_until(ws, b"40 120")
        assert len(running_execs(container)) == 1
    # the page went away: the shell is ended, not left running in the container
    wait_until(lambda: running_execs(container) == [], timeout=10, what="the exec to end")
    records = wait_until(lambda: (r := audit(live, name)) and len(r) == 2 and r, timeout=10, what="audit")
    assert [r["action"] for r in records] == ["terminal.open", "terminal.close"]
    assert records[0]["details"]["shell"] == "sh" and records[0]["details"]["container"] == container
    assert records[1]["details"]["reason"] == "closed by the client"
    assert "echo hi" not in json.dumps(records)  # keystrokes are not audited


def test_exit_in_the_shell_closes_the_socket(live: Live, unique_name) -> None:
    name = unique_name("e")
    live.create(name, {"app": SLEEPY})
    with open_terminal(live, name, f"{name}-app-1") as ws:
        json.loads(ws.recv(timeout=10))
        ws.send(b"exit 3\n")
        messages = []
        while True:
            message = ws.recv(timeout=10)
            if isinstance(message, str):
                messages.append(json.loads(message))
                if messages[-1]["type"] == "exit":
                    break
        assert messages[-1] == {"type": "exit", "code": 3, "reason": "the shell exited"}


def test_refused_origin_token_shell_and_unmanaged(live: Live, unique_name, tmp_path) -> None:
    name = unique_name("r")
    live.create(name, {"app": SLEEPY})
    container = f"{name}-app-1"
    for kwargs in ({"origin": "http://evil.example"}, {"origin": "http://127.0.0.1:1"}, {"token": "not-a-jwt"}):
        with pytest.raises(InvalidStatus) as refused:
            open_terminal(live, name, container, **kwargs)
        assert refused.value.response.status_code == 403, kwargs
    url = live.url.replace("http://", "ws://") + f"/api/services/{name}/containers/{container}/terminal"
    with pytest.raises(InvalidStatus):
        connect(url, origin=live.url, open_timeout=10)  # no token offered at all
    assert audit(live, name) == []
    # busybox has no bash: the terminal opens and says why it ended
    with open_terminal(live, name, container, shell="bash") as ws:
        json.loads(ws.recv(timeout=10))
        output = b""
        while True:
            message = ws.recv(timeout=10)
            if isinstance(message, bytes):
                output += message
            elif json.loads(message)["type"] == "exit":
                assert json.loads(message)["code"] in (126, 127)  # the runtime could not start it
                break
        assert b"not found" in output
    outsider = unique_name("x")
    (tmp_path / "compose.yaml").write_text(f"services:\n  a:\n    image: {IMAGE_V1}\n    command: [sleep, '300']\n"
                                           "    init: true\n")
    compose(outsider, str(tmp_path), "up", "-d")
    with pytest.raises(InvalidStatus):
        open_terminal(live, f"ext_{outsider}", f"{outsider}-a-1")


def test_an_idle_terminal_is_closed(live: Live, unique_name) -> None:
    name = unique_name("i")
    live.create(name, {"app": SLEEPY})
    live.core.settings.terminal_idle_seconds = 1.0
    with open_terminal(live, name, f"{name}-app-1") as ws:
        json.loads(ws.recv(timeout=10))
        while True:
            message = ws.recv(timeout=15)
            if isinstance(message, str) and json.loads(message)["type"] == "exit":
                assert json.loads(message)["reason"] == "no activity for 1s"
                break
    wait_until(lambda: running_execs(f"{name}-app-1") == [], timeout=10, what="the idle exec to end")


def test_a_logout_closes_the_terminals_it_opened(live: Live, unique_name) -> None:
    name = unique_name("o")
    live.create(name, {"app": SLEEPY})
    live.core.settings.stream_auth_recheck_seconds = 0.5
    token = live.core.auth.issue_local_session(email="tester@example.com")["access_token"]
    with open_terminal(live, name, f"{name}-app-1", token=token) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"
        with live.client(token) as c:
            assert c.post("/auth/logout").status_code == 204
        while True:
            message = ws.recv(timeout=15)
            if isinstance(message, str) and json.loads(message)["type"] == "exit":
                assert json.loads(message)["reason"].startswith("unauthorized")
                break
    wait_until(lambda: running_execs(f"{name}-app-1") == [], timeout=10, what="the exec to end")
    assert [r["action"] for r in audit(live, name)] == ["terminal.open", "terminal.close"]
