"""Built-in users: argon2id password hashes, and the first-run admin (never a default password)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sdmd.auth.models import AuthSession, User
from sdmd.auth.tokens import new_uuid
from sdmd.db.base import Database, utcnow
from sdmd.errors import Conflict, InvalidInput, NotFound

# argon2-cffi's defaults are RFC 9106's low-memory argon2id profile (t=3, m=64 MiB, p=4).
HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
NAME_CHARS = "A-Za-z0-9._%+@-"
NAME_RE = re.compile(rf"^[{NAME_CHARS}]{{1,320}}$")
# The same rule for a name as sent (normalize strips the whitespace around it), for API schemas.
NAME_PATTERN = rf"^[ \t\r\n]*[{NAME_CHARS}]+[ \t\r\n]*$"
ADMIN_NAME = "admin"


@dataclass(frozen=True)
class UserInfo:
    id: str
    email: str
    created_at: str


@cache
def _dummy_hash() -> str:
    """Verified against for unknown users, so that a missing user costs the same time as a wrong password."""
    return HASHER.hash(secrets.token_urlsafe(16))


def normalize(name: str) -> str:
    return name.strip().lower()


def validate_name(name: str) -> str:
    name = normalize(name)
    if not NAME_RE.match(name):
        raise InvalidInput("invalid user name", "use an email address or letters, digits and . _ % + @ -")
    return name


def validate_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput("invalid password",
                           f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return HASHER.hash(validate_password(password))


def _info(user: User) -> UserInfo:
    return UserInfo(id=user.id, email=user.email, created_at=user.created_at.isoformat())


def _get(session: Session, email: str) -> User:
    user = session.scalar(sa.select(User).where(User.email == normalize(email)))
    if user is None:
        raise NotFound("user not found", f"no user named {normalize(email)}")
    return user


def create(db: Database, *, email: str, password: str | None = None, password_hash: str | None = None) -> UserInfo:
    """`password_hash` lets a caller reuse a hash it already computed (argon2id is slow on purpose)."""
    email = validate_name(email)
    hashed = password_hash or hash_password(password or "")
    try:
        with db.session() as session:
            user = User(id=new_uuid(), email=email, password_hash=hashed)
            session.add(user)
            session.flush()
            return _info(user)
    except IntegrityError:
        raise Conflict("user exists", f"a user named {email} already exists") from None


def list_users(db: Database) -> list[UserInfo]:
    with db.session() as session:
        return [_info(u) for u in session.scalars(sa.select(User).order_by(User.email))]


def count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def get(db: Database, *, email: str) -> UserInfo:
    with db.session() as session:
        return _info(_get(session, email))


def set_password(db: Database, *, email: str, password: str) -> UserInfo:
    """A new password also ends every session of the user."""
    hashed = hash_password(password)
    with db.session() as session:
        user = _get(session, email)
        user.password_hash = hashed
        user.updated_at = utcnow()
        session.execute(sa.update(AuthSession).where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
                        .values(ended_at=utcnow()))
        return _info(user)


def remove(db: Database, *, email: str) -> UserInfo:
    with db.session() as session:
        user = _get(session, email)
        info = _info(user)
        session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
        session.delete(user)
        return info


def authenticate(db: Database, *, email: str, password: str) -> UserInfo | None:
    """The user, or None for an unknown name or a wrong password (indistinguishable, also in time)."""
    with db.session() as session:  # not held open while argon2 works
        user = session.scalar(sa.select(User).where(User.email == normalize(email)))
    try:
        HASHER.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if HASHER.check_needs_rehash(user.password_hash):
        rehashed = HASHER.hash(password)
        with db.session() as session:
            session.execute(sa.update(User).where(User.id == user.id, User.password_hash == user.password_hash)
                            .values(password_hash=rehashed))
    return _info(user)


def ensure_admin(db: Database, *, email: str = "", password: str = "") -> tuple[UserInfo, str | None] | None:
    """On first run, create the admin. Returns (user, generated password) or None when users exist.

    The password comes from SDMD_ADMIN_PASSWORD; otherwise a random one is returned for printing once.
    """
    if count(db):
        return None
    generated = None if password else secrets.token_urlsafe(18)
    try:
        user = create(db, email=email or ADMIN_NAME, password=password or generated)
    except Conflict:  # another process created it first
        return None
    return user, generated
