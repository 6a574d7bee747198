"""Sessions: local mode's logins (rows with a rotating refresh token) and Supabase mode's ended sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sdmd.auth.errors import InvalidRefreshToken
from sdmd.auth.models import AuthSession, EndedSession, User
from sdmd.auth.tokens import new_uuid
from sdmd.db.base import Database, utcnow


@dataclass(frozen=True)
class SessionGrant:
    session_id: str
    user_id: str
    email: str
    refresh_token: str
    aal: str = "aal1"
    mfa_method: str | None = None
    started_at: datetime | None = None


def _hash(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def start(db: Database, *, user_id: str, email: str, client_addr: str | None, lifetime: int,
          aal: str = "aal1", mfa_method: str | None = None) -> SessionGrant:
    refresh_token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        # Housekeeping: sessions past their refresh lifetime, or ended a day ago, are of no further use.
        session.execute(sa.delete(AuthSession).where(sa.or_(AuthSession.expires_at < now,
                                                            AuthSession.ended_at < now - timedelta(days=1))))
        row = AuthSession(id=new_uuid(), user_id=user_id, refresh_hash=_hash(refresh_token), created_at=now,
                          refreshed_at=now, expires_at=now + timedelta(seconds=lifetime), client_addr=client_addr,
                          aal=aal, mfa_method=mfa_method)
        session.add(row)
    return SessionGrant(row.id, user_id, email, refresh_token, aal, mfa_method, now)


def rotate(db: Database, *, refresh_token: str, lifetime: int) -> SessionGrant:
    """Trade a refresh token for a new one (the old one stops working); the session's id stays."""
    old = _hash(refresh_token)
    new_token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        found = session.execute(
            sa.select(AuthSession.id, AuthSession.user_id, AuthSession.ended_at, AuthSession.expires_at, User.email,
                      AuthSession.aal, AuthSession.mfa_method, AuthSession.created_at)
            .join(User, User.id == AuthSession.user_id).where(AuthSession.refresh_hash == old)).first()
        if found is None or found.ended_at is not None:
            raise InvalidRefreshToken(details="unknown, used or ended refresh token")
        if found.expires_at <= now:
            raise InvalidRefreshToken(details="session expired")
        # Compare-and-swap on the hash: of two concurrent refreshes with one token, only one wins.
        updated = session.execute(
            sa.update(AuthSession).where(AuthSession.id == found.id, AuthSession.refresh_hash == old,
                                         AuthSession.ended_at.is_(None))
            .values(refresh_hash=_hash(new_token), refreshed_at=now, expires_at=now + timedelta(seconds=lifetime)))
        if updated.rowcount != 1:
            raise InvalidRefreshToken(details="refresh token already used")
    return SessionGrant(found.id, found.user_id, found.email, new_token, found.aal, found.mfa_method, found.created_at)


def elevate(db: Database, *, session_id: str, user_id: str, method: str, lifetime: int) -> SessionGrant:
    """The session passed a second factor (it just enrolled one): aal2 from now on, with a new refresh
    token; the user's other sessions that never did are ended, as GoTrue does on verification."""
    new_token = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as session:
        row = session.get(AuthSession, session_id)
        if row is None or row.user_id != user_id or row.ended_at is not None:
            raise InvalidRefreshToken(details="session ended")
        row.aal, row.mfa_method, row.refresh_hash = "aal2", method, _hash(new_token)
        row.refreshed_at, row.expires_at = now, now + timedelta(seconds=lifetime)
        session.execute(sa.update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.id != session_id,
                                                     AuthSession.aal != "aal2", AuthSession.ended_at.is_(None))
                        .values(ended_at=now))
        email = session.scalar(sa.select(User.email).where(User.id == user_id))
        created_at = row.created_at
    return SessionGrant(session_id, user_id, email or "", new_token, "aal2", method, created_at)


def end(db: Database, *, session_id: str) -> bool:
    with db.session() as session:
        result = session.execute(sa.update(AuthSession).where(AuthSession.id == session_id,
                                                              AuthSession.ended_at.is_(None))
                                 .values(ended_at=utcnow()))
        return result.rowcount == 1


def is_active(db: Database, *, session_id: str, user_id: str) -> bool:
    with db.session() as session:
        found = session.execute(sa.select(AuthSession.user_id, AuthSession.ended_at)
                                .where(AuthSession.id == session_id)).first()
    return found is not None and found.ended_at is None and found.user_id == user_id


# --- Supabase mode: GoTrue's access tokens stay valid until exp, so sdmd remembers ended sessions ---

def deny(db: Database, *, session_id: str, until: datetime) -> None:
    now = utcnow()
    try:
        with db.session() as session:
            session.execute(sa.delete(EndedSession).where(EndedSession.expires_at < now))
            row = session.get(EndedSession, session_id)
            if row is None:
                session.add(EndedSession(session_id=session_id, ended_at=now, expires_at=until))
            elif row.expires_at < until:
                row.expires_at = until
    except IntegrityError:  # a concurrent logout of the same session recorded it first
        pass


def is_denied(db: Database, *, session_id: str) -> bool:
    with db.session() as session:
        return session.scalar(sa.select(sa.literal(1)).where(EndedSession.session_id == session_id,
                                                            EndedSession.expires_at > utcnow())) is not None
