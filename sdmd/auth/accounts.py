"""Managing built-in users from the API (local mode): list, add, remove, reset a password.

Every logged-in user may do this (sdmd has no roles yet: whoever controls it controls Docker).
Two rules keep a person from locking everyone out: nobody removes their own account, and the last
user cannot be removed. Each change is one audit record by the acting user.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sdmd.audit.log import audited
from sdmd.auth import api_tokens, users
from sdmd.auth.identity import Actor
from sdmd.auth.models import AuthSession, User
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.errors import Conflict, NotFound

GENERATED_PASSWORD_BYTES = 15  # 20 URL-safe characters
# Names may have 320 characters; the audit log's target_name holds 128 (the id identifies the user).


def _require_local(core: Core) -> None:
    if not core.auth.is_local:
        raise Conflict("users are managed in Supabase",
                       "SDMD_AUTH_MODE=supabase: add and remove users in Supabase Auth, not in sdmd")


def _by_id(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found", f"no user with id {user_id}")
    return user


def list_accounts(core: Core, *, actor: Actor) -> list[dict[str, Any]]:
    """Every user with when it last logged in and how many sessions are live now (one query each)."""
    _require_local(core)
    now = utcnow()
    with core.db.sessions() as session:
        rows = session.scalars(sa.select(User).order_by(User.email)).all()
        last = dict(session.execute(sa.select(AuthSession.user_id, sa.func.max(AuthSession.created_at))
                                    .group_by(AuthSession.user_id)).all())
        live = dict(session.execute(
            sa.select(AuthSession.user_id, sa.func.count())
            .where(AuthSession.ended_at.is_(None), AuthSession.expires_at > now)
            .group_by(AuthSession.user_id)).all())
    return [{"id": u.id, "email": u.email, "created_at": u.created_at, "updated_at": u.updated_at,
             "last_login_at": last.get(u.id), "active_sessions": live.get(u.id, 0), "is_you": u.id == actor.id}
            for u in rows]


def _one(core: Core, user_id: str, actor: Actor) -> dict[str, Any]:
    found = [a for a in list_accounts(core, actor=actor) if a["id"] == user_id]
    if not found:
        raise NotFound("user not found", f"no user with id {user_id}")
    return found[0]


def add_account(core: Core, *, actor: Actor, email: str, password: str | None) -> dict[str, Any]:
    """A new user; without a password one is generated and returned once (it is not kept, only its hash)."""
    _require_local(core)
    generated = None if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    with audited(core.db, actor, "user.create", target_name=users.normalize(email)[:128]) as audit:
        info = users.create(core.db, email=email, password=password or generated)
        audit.target_id = info.id
        audit.target_name = info.email[:128]
        audit.details["generated_password"] = generated is not None
    return {"user": _one(core, info.id, actor), "password": generated}


def reset_password(core: Core, *, actor: Actor, user_id: str, password: str | None) -> dict[str, Any]:
    """A new password (given, or generated and returned once); the user's sessions end at once."""
    _require_local(core)
    with core.db.sessions() as session:
        email = _by_id(session, user_id).email
    generated = None if password else secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    with audited(core.db, actor, "user.passwd", target_id=user_id, target_name=email[:128],
                 details={"generated_password": generated is not None}):
        users.set_password(core.db, email=email, password=password or generated or "")
    return {"user": _one(core, user_id, actor), "password": generated}


def remove_account(core: Core, *, actor: Actor, user_id: str) -> dict[str, Any]:
    _require_local(core)
    with core.db.sessions() as session:
        email = _by_id(session, user_id).email
    with audited(core.db, actor, "user.remove", target_id=user_id, target_name=email[:128]) as audit, \
            core.db.session() as session:
        if user_id == actor.id:
            raise Conflict("you cannot remove yourself", "log in as another user to remove this account")
        # Lock every user row (PostgreSQL) so two removals at once cannot both leave "one more".
        ids = session.scalars(sa.select(User.id).with_for_update()).all()
        if user_id not in ids:
            raise NotFound("user not found", f"no user with id {user_id}")
        if len(ids) <= 1:
            raise Conflict("the last user cannot be removed", "add another user first")
        session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user_id))
        # API tokens have no foreign key (in Supabase mode their owner lives elsewhere): revoke them here.
        audit.details["api_tokens_revoked"] = api_tokens.revoke_all_in(session, owner_id=user_id)
        session.execute(sa.delete(User).where(User.id == user_id))
    return {"id": user_id, "email": email, "status": "removed"}
