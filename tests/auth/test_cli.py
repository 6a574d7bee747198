"""`sdmd user ...` and the first-run admin of `sdmd serve`, run as real processes.

On SQLite only: each process start costs seconds, and the user functions these commands call are tested on
both databases in test_local.py (and `sdmd audit purge` runs against both in tests/audit).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from sdmd.auth import users
from sdmd.auth.errors import InvalidToken

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def run(settings, database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDMD_", "SUPABASE_"))}
    env.update(SDMD_DATA_DIR=str(settings.data_dir), SDMD_STACKS_DIR=str(settings.stacks_dir),
               SDMD_DATABASE_URL=database_url)

    def run(*args: str, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sdmd.cli", *args], input=stdin, capture_output=True,
                              text=True, timeout=120, env={**env, **extra_env})

    run.env = env
    return run


def test_user_commands(run, core):
    added = run("user", "add", "Ops@Example.com", SDMD_PASSWORD="from the environment")
    assert added.returncode == 0, added.stderr
    assert "created user ops@example.com" in added.stdout
    assert run("user", "add", "second", stdin="from standard input\n").returncode == 0
    assert users.authenticate(core.db, email="ops@example.com", password="from the environment")
    assert users.authenticate(core.db, email="second", password="from standard input")

    listed = run("user", "list")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["ops@example.com", "second"]

    duplicate = run("user", "add", "second", SDMD_PASSWORD="whatever123")
    assert duplicate.returncode == 1 and "user exists" in duplicate.stderr
    short = run("user", "add", "third", SDMD_PASSWORD="short")
    assert short.returncode == 1 and "invalid password" in short.stderr

    assert run("user", "passwd", "second", stdin="a new password\n").returncode == 0
    assert users.authenticate(core.db, email="second", password="a new password")
    assert not users.authenticate(core.db, email="second", password="from standard input")

    assert run("user", "remove", "second").returncode == 0
    missing = run("user", "remove", "second")
    assert missing.returncode == 1 and "user not found" in missing.stderr
    assert [u.email for u in users.list_users(core.db)] == ["ops@example.com"]

    supabase = run("user", "list", SDMD_AUTH_MODE="supabase")
    assert supabase.returncode == 2 and "managed in Supabase" in supabase.stderr


def test_reset_2fa_and_remove_revoke_what_a_lost_device_or_a_departed_user_leaves(run, core):
    """`sdmd user reset-2fa` removes the authenticator (the user logs in with the password and enrols
    again); `sdmd user remove` also revokes the user's API tokens."""
    import pyotp

    from sdmd.auth import api_tokens, mfa
    from sdmd.auth.identity import Actor

    user = users.create(core.db, email="phone-lost@example.com", password="a long password")
    enrolment = mfa.begin_enrolment(core.db, core.auth.box, user_id=user.id, email=user.email, issuer="sdmd")
    mfa.confirm_enrolment(core.db, core.auth.box, user_id=user.id, code=pyotp.TOTP(enrolment.secret).now())
    assert mfa.is_enabled(core.db, user_id=user.id)
    reset = run("user", "reset-2fa", "phone-lost@example.com")
    assert reset.returncode == 0 and "removed" in reset.stdout, reset.stderr
    assert not mfa.is_enabled(core.db, user_id=user.id)
    assert mfa.status(core.db, user_id=user.id).recovery_codes_left == 0
    assert "was not enabled" in run("user", "reset-2fa", "phone-lost@example.com").stdout
    assert run("user", "reset-2fa", "nobody@example.com").returncode == 1

    _, token = api_tokens.create(core.db, owner=Actor(id=user.id, email=user.email), name="ci", expires_at=None)
    assert run("user", "remove", "phone-lost@example.com").returncode == 0
    assert not api_tokens.list_tokens(core.db, owner_id=user.id)
    with pytest.raises(InvalidToken, match="revoked"):
        api_tokens.authenticate(core.db, token=token, client_addr=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_until_ready(run, port: int, **extra_env: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "sdmd.cli", "serve", "--port", str(port)],
                            env={**run.env, **extra_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    output = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        if "Uvicorn running" in line or "Application startup complete" in line:
            return proc, "".join(output)
    proc.kill()
    raise AssertionError("sdmd serve did not start:\n" + "".join(output))


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_serve_creates_an_admin_with_a_random_password_printed_once(run, core):
    port = free_port()
    proc, output = serve_until_ready(run, port)
    try:
        found = re.search(r"created user 'admin' with password: (\S+)", output)
        assert found, output
        password = found.group(1)
        assert len(password) >= 16
        response = httpx.post(f"http://127.0.0.1:{port}/auth/login",
                              json={"username": "admin", "password": password}, timeout=30)
        assert response.status_code == 200, response.text
        api = httpx.get(f"http://127.0.0.1:{port}/api/audit", timeout=10,
                        headers={"Authorization": f"Bearer {response.json()['access_token']}"})
        assert api.status_code == 200
        assert [i["action"] for i in api.json()["items"]] == ["auth.login", "user.create"]
    finally:
        stop(proc)
    proc, output = serve_until_ready(run, free_port())  # users exist: nothing created, nothing printed
    stop(proc)
    assert "password" not in output
    assert [u.email for u in users.list_users(core.db)] == ["admin"]


def test_serve_uses_the_configured_admin(run, core):
    proc, output = serve_until_ready(run, free_port(), SDMD_ADMIN_EMAIL="boss@example.com",
                                     SDMD_ADMIN_PASSWORD="configured password")
    stop(proc)
    assert "created user 'boss@example.com' from SDMD_ADMIN_EMAIL" in output
    assert "configured password" not in output
    assert users.authenticate(core.db, email="boss@example.com", password="configured password")
