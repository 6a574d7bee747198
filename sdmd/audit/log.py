"""Writing audit records. Each record commits on its own, so a failed action is still recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sdmd.audit.models import AuditEntry
from sdmd.auth.identity import Actor
from sdmd.db.base import Database

log = logging.getLogger("sdmd.audit")

SECRET_KEYS = {"environment", "password", "new_password", "refresh_token", "access_token", "secret", "token"}
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Environment values and credentials never reach the audit log; their keys may."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS:
                out[key] = _redact_secret(item)
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _redact_secret(item: Any) -> Any:
    if isinstance(item, Mapping):
        return {k: REDACTED for k in item}
    if isinstance(item, list | tuple):
        return [str(v).split("=", 1)[0] + "=" + REDACTED for v in item]
    return REDACTED


def record(
    db: Database,
    *,
    actor: Actor | None,
    action: str,
    outcome: str = "ok",
    target_id: str | None = None,
    target_name: str | None = None,
    client_addr: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else None,
        actor_token_id=actor.credential_id if actor else None,
        actor_token_name=actor.credential_name if actor else None,
        action=action,
        outcome=outcome,
        target_id=target_id,
        target_name=target_name,
        client_addr=client_addr,
        details=redact(dict(details or {})),
    )
    try:
        with db.session() as session:
            session.add(entry)
    except Exception:  # an audit failure must not hide the action's own result
        log.exception("could not write audit record for %s", action)


class AuditScope:
    """What an action fills in as it learns it (a new service's id, image ids, a commit)."""

    def __init__(self, target_id: str | None, target_name: str | None, details: dict[str, Any]) -> None:
        self.target_id = target_id
        self.target_name = target_name
        self.details = details
        self.outcome = "ok"


@contextmanager
def audited(
    db: Database,
    actor: Actor | None,
    action: str,
    *,
    target_id: str | None = None,
    target_name: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Iterator[AuditScope]:
    """Exactly one record for the action, written whether it succeeds or fails."""
    scope = AuditScope(target_id, target_name, dict(details or {}))
    try:
        yield scope
    except BaseException as exc:
        error = getattr(exc, "message", None) or type(exc).__name__
        extra = {"error": error}
        if getattr(exc, "details", None):
            extra["error_details"] = str(exc.details)[:2000]
        _write(db, actor, action, scope, "error", extra)
        raise
    _write(db, actor, action, scope, scope.outcome, {})


def _write(db: Database, actor: Actor | None, action: str, scope: AuditScope, outcome: str,
           extra: dict[str, Any]) -> None:
    record(db, actor=actor, action=action, outcome=outcome, target_id=scope.target_id,
           target_name=scope.target_name, client_addr=actor.client_addr if actor else None,
           details={**scope.details, **extra})
