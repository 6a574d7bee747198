"""GET /api/audit: the audit log, newest first, with a stable cursor. Nothing here changes a record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator

from sdmd.audit import repository
from sdmd.audit.models import AuditEntry
from sdmd.deps import CoreDep
from sdmd.errors import NotFound, SdmdError

router = APIRouter(prefix="/api/audit", tags=["audit"])

READ_ONLY_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


class AppendOnly(SdmdError):
    status = 405
    message = "method not allowed"

    def __init__(self) -> None:
        super().__init__(details="the audit log is append-only: records cannot be changed or deleted",
                         headers={"Allow": "GET"})


class AuditRead(BaseModel):
    id: int
    created_at: datetime
    actor_id: str | None
    actor_email: str | None
    action: str
    target_id: str | None
    target_name: str | None
    outcome: str
    client_addr: str | None
    actor_token_id: str | None = None
    actor_token_name: str | None = None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRead]
    next_cursor: str | None


# A cursor is the last entry's position, "<created_at in µs since the epoch>.<id>": every string of that
# shape is a valid position (the schema says exactly this), so a well-formed cursor is never refused.
CURSOR_PATTERN = r"^[0-9]{1,18}\.[0-9]{1,19}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def encode_cursor(entry: AuditEntry) -> str:
    micros = (entry.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{entry.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    micros, _, entry_id = cursor.partition(".")
    try:
        position = _EPOCH + timedelta(microseconds=int(micros))
    except OverflowError:  # past year 9999: later than any record
        position = _LATEST
    return position, min(int(entry_id), 2**63 - 1)


_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?")


def _iso_only(value: Any) -> Any:
    """pydantic also reads a bare number as a Unix timestamp; the schema (format date-time) and the docs
    say ISO 8601, so a number is refused like any other text that is not a time."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        raise ValueError("an ISO 8601 date-time such as 2026-12-01T00:00:00Z, not a number")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC, which is what the log stores."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read(entry: AuditEntry) -> dict[str, Any]:
    return {c: getattr(entry, c) for c in AuditRead.model_fields}


@router.get("", response_model=AuditPage)
def list_audit(
    core: CoreDep,
    actor: str | None = Query(default=None, max_length=320, description="user id or email, scheduler, gitops"),
    action: str | None = Query(default=None, max_length=64, description="exact, or a prefix ending in *"),
    target: str | None = Query(default=None, max_length=128, description="target id or name"),
    token: str | None = Query(default=None, max_length=64,
                              description="the credential that acted: a session id, an API token (pat_...), "
                                          "a webhook (whk_...)"),
    since: IsoDateTime | None = Query(default=None, description="inclusive; ISO 8601, UTC when no zone is given"),
    until: IsoDateTime | None = Query(default=None, description="exclusive"),
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = Query(default=None, pattern=CURSOR_PATTERN, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    since, until = _utc(since), _utc(until)
    if since and until and since >= until:  # an empty range (since inclusive, until exclusive): no records
        return {"items": [], "next_cursor": None}
    after = decode_cursor(cursor) if cursor else None
    rows = repository.page(core.db, actor=actor, action=action, target=target, token=token, since=since,
                           until=until, limit=limit + 1, after=after)
    items = rows[:limit]
    next_cursor = encode_cursor(items[-1]) if len(rows) > limit else None
    return {"items": [_read(e) for e in items], "next_cursor": next_cursor}


@router.get("/{entry_id}", response_model=AuditRead)
def get_audit(core: CoreDep, entry_id: int = Path(ge=1, le=2**63 - 1)) -> dict[str, Any]:
    entry = repository.get(core.db, entry_id=entry_id)
    if entry is None:
        raise NotFound("audit record not found", f"no audit record {entry_id}")
    return _read(entry)


@router.api_route("", methods=READ_ONLY_METHODS, include_in_schema=False)
def refuse_collection_change() -> None:
    raise AppendOnly()


@router.api_route("/{entry_id}", methods=READ_ONLY_METHODS, include_in_schema=False)
def refuse_record_change(entry_id: str) -> None:
    raise AppendOnly()
