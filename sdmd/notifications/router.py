"""/api/notifications: channels (Apprise URLs), a test send, the deliveries log, the event catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import WithJsonSchema

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput
from sdmd.notifications import repository as repo
from sdmd.notifications import service
from sdmd.notifications.events import catalogue
from sdmd.notifications.schemas import (
    ChannelCreate,
    ChannelRead,
    ChannelTestResult,
    ChannelUpdate,
    DeliveryRead,
    EventType,
)

# Checked below, so that an unknown status is named in the error.
DeliveryStatus = Annotated[str, WithJsonSchema({"type": "string", "enum": list(repo.STATUSES)})]
router = APIRouter(prefix="/api/notifications", tags=["notifications"])

ERROR = {"description": "`{error, details}`"}
NOT_FOUND = {404: {**ERROR, "description": "no such channel"}}
INVALID = {422: {**ERROR, "description": "bad name, URL (Apprise cannot use it) or event type; nothing stored"}}
TAKEN = {409: {**ERROR, "description": "another channel has this name"}}


@router.get("/events", response_model=list[EventType], summary="Event types a channel can subscribe to")
def event_types() -> list[dict[str, str]]:
    """Every event type with its group and severity. A channel's `events` lists types, `<group>.*` or `*`."""
    return catalogue()


@router.get("/channels", response_model=list[ChannelRead], summary="List notification channels")
def list_channels(core: CoreDep) -> list[dict[str, Any]]:
    """Every channel, URL masked, with its newest delivery (to show whether it works)."""
    return service.list_channels(core)


@router.post("/channels", status_code=201, response_model=ChannelRead, summary="Add a notification channel",
             responses={**INVALID, **TAKEN})
def create_channel(body: ChannelCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """The URL is checked by Apprise, stored encrypted (SDMD_DATA_DIR/secret.key) and never returned."""
    return service.create_channel(core, actor=actor, data=body)


@router.get("/channels/{channel_id}", response_model=ChannelRead, summary="One channel (by id or name)",
            responses=NOT_FOUND)
def get_channel(channel_id: str, core: CoreDep) -> dict[str, Any]:
    return service.get_channel(core, channel_id)


@router.put("/channels/{channel_id}", response_model=ChannelRead, summary="Change a channel",
            responses={**NOT_FOUND, **INVALID, **TAKEN})
def update_channel(channel_id: str, body: ChannelUpdate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Changes the fields it names. Sending `url` back masked, as read, keeps the stored URL; read-only
    fields of a GET (`id`, `created_at`...) may be sent back and are ignored."""
    return service.update_channel(core, channel_id, actor=actor, data=body)


@router.delete("/channels/{channel_id}", status_code=204, summary="Remove a channel", responses=NOT_FOUND)
def delete_channel(channel_id: str, core: CoreDep, actor: ActorDep) -> Response:
    """Its deliveries stay in the log (with the channel's name, `channel_id` null)."""
    service.delete_channel(core, channel_id, actor=actor)
    return Response(status_code=204)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestResult, summary="Send a test message now",
             responses=NOT_FOUND)
def test_channel(channel_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """One attempt, made while the request waits (at most SDMD_NOTIFY_TIMEOUT_SECONDS), recorded as a
    delivery of type `test`. A disabled channel can be tested too. `delivered: false` carries Apprise's
    error (connection refused, 401 from the service...)."""
    return service.test_channel(core, channel_id, actor=actor)


@router.get("/deliveries", response_model=list[DeliveryRead], summary="The last deliveries and failures")
def deliveries(core: CoreDep,
               channel_id: Annotated[str | None, Query(description="one channel's deliveries")] = None,
               status: Annotated[list[DeliveryStatus] | None,
                                 Query(description="e.g. failed, retrying (repeatable)")] = None,
               event_type: Annotated[str | None, Query(description="e.g. container.died, test, digest")] = None,
               before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="the next page: ids below this")]
               = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """Newest first. Kept SDMD_NOTIFY_RETENTION_DAYS days."""
    unknown = [s for s in status or [] if s not in repo.STATUSES]
    if unknown:
        raise InvalidInput("invalid status", f"status: {', '.join(unknown)}; one of {', '.join(repo.STATUSES)}")
    with core.db.sessions() as session:
        return [repo.view(r) for r in repo.deliveries(session, channel_id=channel_id, status=status,
                                                      event_type=event_type, before_id=before_id, limit=limit)]
