"""Login throttling: after N failed logins for one username or one client address within a window → 429.

Kept in the database rather than in memory: a restart does not hand an attacker a fresh budget, and several
sdmd processes on one database share the count.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa

from sdmd.auth.models import LoginFailure
from sdmd.db.base import Database, utcnow
from sdmd.errors import TooManyRequests

MAX_NAME = 320
MAX_ADDR = 64


def check(db: Database, *, username: str, client_addr: str | None, max_failures: int, window: int) -> None:
    """Raise 429 with Retry-After when either key has had `max_failures` failures within the window."""
    now = utcnow()
    since = now - timedelta(seconds=window)
    waits = []
    keys = [(LoginFailure.username, username[:MAX_NAME])]
    if client_addr:
        keys.append((LoginFailure.client_addr, client_addr[:MAX_ADDR]))
    with db.session() as session:
        for column, value in keys:
            # With N failures in the window the next attempt is allowed once the (N - max + 1)-th oldest
            # leaves it: that is the max-th newest one.
            pivot = session.scalar(
                sa.select(LoginFailure.created_at).where(column == value, LoginFailure.created_at > since)
                .order_by(LoginFailure.created_at.desc()).offset(max_failures - 1).limit(1))
            if pivot is not None:
                waits.append((pivot + timedelta(seconds=window) - now).total_seconds())
    if waits:
        retry_after = max(1, math.ceil(max(waits)))
        raise TooManyRequests("too many failed logins",
                              f"{max_failures} failed logins within {window} s; retry in {retry_after} s",
                              headers={"Retry-After": str(retry_after)})


def record_failure(db: Database, *, username: str, client_addr: str | None, window: int) -> None:
    now = utcnow()
    with db.session() as session:
        session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at < now - timedelta(seconds=window)))
        session.add(LoginFailure(created_at=now, username=username[:MAX_NAME],
                                 client_addr=client_addr[:MAX_ADDR] if client_addr else None))


def clear(db: Database, *, username: str, client_addr: str | None) -> None:
    """A successful login forgets its own typos: that username's failures from that address only.

    Failures from other addresses stay, so a user logging in does not reset an attacker's count.
    """
    addr = LoginFailure.client_addr.is_(None) if not client_addr else LoginFailure.client_addr == client_addr[:MAX_ADDR]
    with db.session() as session:
        session.execute(sa.delete(LoginFailure).where(LoginFailure.username == username[:MAX_NAME], addr))
