"""Login throttling: 5 failures per username or per client address within 5 minutes → 429, both modes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sdmd.auth.models import LoginFailure
from sdmd.db.base import utcnow
from tests.auth.conftest import SUPABASE_EMAIL, SUPABASE_PASSWORD
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user


@pytest.fixture(params=["local", "supabase"])
def mode(request, make_gotrue, make_supabase_client):
    """(client, core, valid username, valid password, gotrue double or None)."""
    if request.param == "local":
        core, anonymous_client = request.getfixturevalue("core"), request.getfixturevalue("anonymous_client")
        ensure_user(core)
        return anonymous_client, core, TEST_EMAIL, TEST_PASSWORD, None
    gotrue = make_gotrue("HS256")
    client = make_supabase_client(gotrue)
    return client, client.app.state.core, SUPABASE_EMAIL, SUPABASE_PASSWORD, gotrue


def attempt(client, username, password):
    return client.post("/auth/login", json={"username": username, "password": password})


def test_five_failures_for_one_username_then_429_even_with_the_right_password(mode):
    client, _, username, password, gotrue = mode
    for _ in range(5):
        assert attempt(client, username, "wrong password").status_code == 401
    calls_before = gotrue.hits["token"] if gotrue else 0
    blocked = attempt(client, username, password)
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 300
    assert blocked.json()["error"] == "too many failed logins"
    if gotrue:  # throttled before the auth service is asked
        assert gotrue.hits["token"] == calls_before


def test_five_failures_from_one_address_across_usernames_then_429(mode):
    client, _, username, password, _ = mode
    for n in range(5):
        assert attempt(client, f"guess{n}@example.com", "wrong password").status_code == 401
    response = attempt(client, username, password)
    assert response.status_code == 429 and response.headers["retry-after"]


def test_four_failures_are_allowed_and_success_forgets_own_typos(mode):
    client, _, username, password, _ = mode
    for _ in range(4):
        assert attempt(client, username, "typo").status_code == 401
    assert attempt(client, username, password).status_code == 200
    for _ in range(4):
        assert attempt(client, username, "typo").status_code == 401
    assert attempt(client, username, password).status_code == 200


def test_failures_older_than_the_window_do_not_count(mode):
    client, core, username, password, _ = mode
    old = utcnow() - timedelta(seconds=301)
    with core.db.session() as s:
        for _ in range(10):
            s.add(LoginFailure(created_at=old, username=username, client_addr="testclient"))
    assert attempt(client, username, password).status_code == 200


def test_retry_after_counts_down_from_the_oldest_failure_that_matters(mode):
    client, core, username, password, _ = mode
    start = utcnow()
    with core.db.session() as s:  # 5 failures 200..240 s ago (another address): the oldest leaves in ~60 s
        for age in (240, 230, 220, 210, 200):
            s.add(LoginFailure(created_at=start - timedelta(seconds=age), username=username, client_addr="elsewhere"))
    response = attempt(client, username, password)
    assert response.status_code == 429
    assert 55 <= int(response.headers["retry-after"]) <= 61


def test_failed_logins_are_recorded_and_pruned(mode):
    client, core, username, _, _ = mode
    with core.db.session() as s:
        s.add(LoginFailure(created_at=utcnow() - timedelta(hours=1), username="stale", client_addr="x"))
    attempt(client, username, "wrong")
    with core.db.session() as s:
        names = s.scalars(sa.select(LoginFailure.username)).all()
    assert names == [username]
