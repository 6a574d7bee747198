"""How tests log in. The single place to change when authentication changes."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.testclient import TestClient

from sdmd.auth import users
from sdmd.core import Core
from sdmd.errors import Conflict

TEST_EMAIL = "tester@example.com"
TEST_PASSWORD = "correct horse battery staple"


@cache
def shared_password_hash() -> str:
    # argon2id costs ~0.1-0.5 s per hash on purpose; hash the shared test password once per run.
    return users.hash_password(TEST_PASSWORD)


def ensure_user(core: Core, email: str = TEST_EMAIL) -> users.UserInfo:
    try:
        return users.create(core.db, email=email, password_hash=shared_password_hash())
    except Conflict:
        return users.get(core.db, email=email)


def authenticate(client: TestClient, core: Core, email: str = TEST_EMAIL) -> dict[str, Any]:
    """Create (or reuse) a built-in user and give the client a Bearer token of a new session.

    The session and token come from the real session and signing code, and every request verifies the
    token; only the password check is skipped (no auth.login audit record either, so other domains can
    count their own records). POST /auth/login itself is tested in tests/auth.
    """
    ensure_user(core, email)
    body = core.auth.issue_local_session(email=email)
    client.headers["Authorization"] = f"Bearer {body['access_token']}"
    return body
