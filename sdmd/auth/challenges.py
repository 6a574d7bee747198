"""The second step of a login: a short-lived, single-use challenge token handed out once the password was
right, traded for a session together with a two-factor code (POST /auth/login/mfa).

Only a hash of the token is stored. A challenge dies after MAX_ATTEMPTS wrong codes, when it expires,
or once used; failed codes also count towards the login throttle of the user name and the address.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from sdmd.auth.errors import InvalidChallenge
from sdmd.auth.models import MfaChallenge
from sdmd.auth.tokens import new_uuid
from sdmd.db.base import Database, utcnow
from sdmd.secretbox import SecretBox

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Challenge:
    id: str
    user_id: str
    email: str
    upstream: dict[str, Any] | None  # Supabase mode: GoTrue's aal1 tokens and the factor to verify


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db: Database, box: SecretBox, *, user_id: str, email: str, client_addr: str | None, lifetime: int,
           upstream: dict[str, Any] | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        session.execute(sa.delete(MfaChallenge).where(MfaChallenge.expires_at < now - timedelta(hours=1)))
        session.add(MfaChallenge(id=new_uuid(), token_hash=_hash(token), user_id=user_id, email=email,
                                 upstream=box.encrypt(json.dumps(upstream)) if upstream else None,
                                 client_addr=client_addr, created_at=now,
                                 expires_at=now + timedelta(seconds=lifetime), attempts=0))
    return token


def find(db: Database, box: SecretBox, *, token: str) -> Challenge:
    with db.sessions() as session:
        row = session.scalar(sa.select(MfaChallenge).where(MfaChallenge.token_hash == _hash(token)))
    if row is None or row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
        raise InvalidChallenge(details="unknown or used challenge: log in again")
    if row.expires_at <= utcnow():
        raise InvalidChallenge(details="the challenge expired: log in again")
    upstream = json.loads(box.decrypt(row.upstream)) if row.upstream else None
    return Challenge(row.id, row.user_id, row.email, upstream)


def failed_attempt(db: Database, *, challenge_id: str) -> None:
    with db.session() as session:
        session.execute(sa.update(MfaChallenge).where(MfaChallenge.id == challenge_id)
                        .values(attempts=MfaChallenge.attempts + 1))


def consume(db: Database, *, challenge_id: str) -> bool:
    """Mark it used; False when someone used it first (the same token sent twice at once)."""
    with db.session() as session:
        return session.execute(sa.update(MfaChallenge).where(
            MfaChallenge.id == challenge_id, MfaChallenge.used_at.is_(None),
            MfaChallenge.attempts < MAX_ATTEMPTS).values(used_at=utcnow())).rowcount == 1
