"""Personal access tokens: Bearer credentials for scripts and CI, working on the whole API.

`sdmd_pat_<random>`: 256 random bits, shown once when made; only its SHA-256 is stored (the token is
random, so a slow hash adds nothing), and it is looked up by that hash. A token has a name, an optional
expiry, a last-used time (written at most once a minute, not on every request) and can be revoked.
It acts as the user who made it; audit records name the token. Tokens cannot make tokens or change
two-factor settings: that takes a login session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sdmd.auth.errors import InvalidToken
from sdmd.auth.identity import Actor
from sdmd.auth.models import ApiToken
from sdmd.db.base import Database, new_id, utcnow
from sdmd.errors import Conflict, InvalidInput, NotFound

PREFIX = "sdmd_pat_"
LAST_USED_RESOLUTION = timedelta(seconds=60)
MAX_TOKENS_PER_USER = 100


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    owner_id: str
    owner_email: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


def looks_like_token(bearer: str) -> bool:
    return bearer.startswith(PREFIX)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.owner_id, row.owner_email, row.created_at, row.expires_at,
                     row.last_used_at, row.revoked_at)


def create(db: Database, *, owner: Actor, name: str, expires_at: datetime | None) -> tuple[TokenInfo, str]:
    """A new token for `owner`; returns it with its secret, which is never shown again."""
    if not owner.id:
        raise InvalidInput("no user to own the token")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("invalid expiry", "expires_at must be in the future")
    token = PREFIX + secrets.token_urlsafe(32)
    with db.session() as session:
        count = session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
            ApiToken.owner_id == owner.id, ApiToken.revoked_at.is_(None))) or 0
        if count >= MAX_TOKENS_PER_USER:
            raise Conflict("too many tokens", f"revoke some first (at most {MAX_TOKENS_PER_USER} per user)")
        row = ApiToken(id=new_id("pat"), owner_id=owner.id, owner_email=owner.email, name=name.strip(),
                       token_hash=_hash(token), created_at=utcnow(), expires_at=expires_at,
                       created_aal=owner.aal or "aal1")
        session.add(row)
        session.flush()
        return _info(row), token


def list_tokens(db: Database, *, owner_id: str | None = None, include_inactive: bool = False) -> list[TokenInfo]:
    query = sa.select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id)
    if owner_id is not None:
        query = query.where(ApiToken.owner_id == owner_id)
    with db.sessions() as session:
        infos = [_info(row) for row in session.scalars(query)]
    return infos if include_inactive else [i for i in infos if i.active]


def get(db: Database, *, token_id: str) -> TokenInfo:
    with db.sessions() as session:
        row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("token not found", f"no API token {token_id}")
    return _info(row)


def revoke(db: Database, *, token_id: str) -> TokenInfo:
    with db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound("token not found", f"no API token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return _info(row)


def revoke_all_of(db: Database, *, owner_id: str) -> int:
    with db.session() as session:
        return revoke_all_in(session, owner_id=owner_id)


def revoke_all_in(session: Session, *, owner_id: str) -> int:
    """Inside the caller's transaction (removing a user): tokens act as their owner, so none outlives it."""
    return session.execute(sa.update(ApiToken).where(ApiToken.owner_id == owner_id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow())).rowcount


def authenticate(db: Database, *, token: str, client_addr: str | None) -> Actor:
    """The actor a token stands for, or InvalidToken (401) for an unknown, revoked or expired one."""
    now = utcnow()
    with db.sessions() as session:
        row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None:
        raise InvalidToken("unknown API token")
    if row.revoked_at is not None:
        raise InvalidToken("API token revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise InvalidToken("API token expired")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        with db.session() as session:
            session.execute(sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Actor(id=row.owner_id, email=row.owner_email, client_addr=client_addr, token_id=row.id,
                 token_name=row.name, aal=row.created_aal)
