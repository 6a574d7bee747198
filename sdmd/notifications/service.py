"""Channel operations for the API: create, change, remove, test. Every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id, utcnow
from sdmd.errors import Conflict, InvalidInput, NotFound
from sdmd.notifications import apprise_url
from sdmd.notifications import repository as repo
from sdmd.notifications.events import INFO, TEST, message, page_link, unknown_selectors
from sdmd.notifications.models import NotificationChannel, NotificationDelivery
from sdmd.notifications.schemas import ChannelCreate, ChannelUpdate
from sdmd.secretbox import SecretBox


def box(core: Core) -> SecretBox:
    return SecretBox(core.settings.data_dir)


def channel_view(row: NotificationChannel, last: NotificationDelivery | None = None,
                 failure: NotificationDelivery | None = None) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "url": row.url_masked, "url_has_secrets": _hides_secrets(row.url_masked),
            "events": list(row.events), "enabled": row.enabled,
            "digest": row.digest, "created_at": row.created_at, "updated_at": row.updated_at,
            "last_delivery": repo.view(last) if last else None,
            "last_failure": repo.view(failure) if failure else None}


def _view_with_last(session: Session, row: NotificationChannel) -> dict[str, Any]:
    return channel_view(row, repo.last_deliveries(session, [row.id]).get(row.id),
                        repo.last_deliveries(session, [row.id], status=repo.FAILED).get(row.id))


def _hides_secrets(masked: str) -> bool:
    # Apprise's privacy form writes passwords as **** and tokens as first...last character.
    return "****" in masked or "..." in masked


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 64:
        raise InvalidInput("invalid channel", "name: 1 to 64 characters")
    return name


def _events(selectors: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(s.strip() for s in selectors))
    unknown = unknown_selectors(cleaned)
    if unknown:
        raise InvalidInput("invalid channel", f"events: unknown {', '.join(map(repr, unknown))}; "
                           "see GET /api/notifications/events (or use '<group>.*', '*')")
    return cleaned


def list_channels(core: Core) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        rows = repo.channels(session)
        ids = [r.id for r in rows]
        last, failed = repo.last_deliveries(session, ids), repo.last_deliveries(session, ids, status=repo.FAILED)
        return [channel_view(r, last.get(r.id), failed.get(r.id)) for r in rows]


def _get(session, channel_id: str) -> NotificationChannel:
    row = repo.channel(session, channel_id) or repo.channel_by_name(session, channel_id)
    if row is None:
        raise NotFound("channel not found", f"No notification channel with ID {channel_id} exists")
    return row


def get_channel(core: Core, channel_id: str) -> dict[str, Any]:
    with core.db.sessions() as session:
        row = _get(session, channel_id)
        return _view_with_last(session, row)


def _audit_details(row: NotificationChannel) -> dict[str, Any]:
    return {"name": row.name, "url": row.url_masked, "events": list(row.events), "enabled": row.enabled,
            "digest": row.digest}


def create_channel(core: Core, *, actor: Actor, data: ChannelCreate) -> dict[str, Any]:
    name = _name(data.name)
    url = apprise_url.validate(data.url)
    events = _events(data.events)
    with audited(core.db, actor, "notification.channel.create", target_name=name) as audit:
        row = NotificationChannel(id=new_id("chn"), name=name, url_encrypted=box(core).encrypt(url),
                                  url_masked=apprise_url.masked(url), events=events, enabled=data.enabled,
                                  digest=data.digest)
        try:
            with core.db.session() as session:
                if repo.channel_by_name(session, name) is not None:
                    raise Conflict("channel name taken", f"a channel named {name!r} already exists")
                session.add(row)
        except IntegrityError as exc:
            raise Conflict("channel name taken", f"a channel named {name!r} already exists") from exc
        audit.target_id = row.id
        audit.details.update(_audit_details(row))
    return channel_view(row)


def update_channel(core: Core, channel_id: str, *, actor: Actor, data: ChannelUpdate) -> dict[str, Any]:
    changes = data.changes()
    for key in ("name", "events", "enabled", "digest"):
        if key in changes and changes[key] is None:
            raise InvalidInput("invalid channel", f"{key}: may not be null")
    with core.db.sessions() as session:
        current = _get(session, channel_id)
    name = _name(changes["name"]) if "name" in changes else None
    events = _events(changes["events"]) if "events" in changes else None
    new_url = changes.get("url")
    if new_url is not None and new_url.strip() in (current.url_masked, ""):
        new_url = None  # the masked form read back unchanged: keep the stored URL
    url = apprise_url.validate(new_url) if new_url is not None else None
    with audited(core.db, actor, "notification.channel.update", target_id=current.id,
                 target_name=current.name) as audit:
        try:
            with core.db.session() as session:
                row = _get(session, current.id)
                if name is not None and name != row.name:
                    if repo.channel_by_name(session, name) is not None:
                        raise Conflict("channel name taken", f"a channel named {name!r} already exists")
                    row.name = name
                if events is not None:
                    row.events = events
                if url is not None:
                    row.url_encrypted = box(core).encrypt(url)
                    row.url_masked = apprise_url.masked(url)
                for key in ("enabled", "digest"):
                    if key in changes:
                        setattr(row, key, changes[key])
                row.updated_at = utcnow()
                session.flush()
                audit.details.update({**_audit_details(row), "url_changed": url is not None,
                                      "fields": sorted(changes)})
                view = _view_with_last(session, row)
        except IntegrityError as exc:
            raise Conflict("channel name taken", f"a channel named {name!r} already exists") from exc
    return view


def delete_channel(core: Core, channel_id: str, *, actor: Actor) -> None:
    with core.db.sessions() as session:
        current = _get(session, channel_id)
    with audited(core.db, actor, "notification.channel.delete", target_id=current.id,
                 target_name=current.name, details=_audit_details(current)), core.db.session() as session:
        row = repo.channel(session, current.id)
        if row is not None:
            session.delete(row)


def test_channel(core: Core, channel_id: str, *, actor: Actor) -> dict[str, Any]:
    """Send one message now, from the request (the person is waiting to see whether it arrives)."""
    from sdmd.notifications.delivery import attempt  # the same single attempt the worker makes

    with core.db.sessions() as session:
        row = _get(session, channel_id)
    who = actor.display_name
    body = message(what=f"This is a test message from sdmd, sent by {who} to the channel {row.name!r}.",
                   todo="nothing; if you read this, the channel works.", service=None, host=None,
                   link=page_link(core.settings, "settings/notifications"))
    with audited(core.db, actor, "notification.channel.test", target_id=row.id, target_name=row.name,
                 details={"url": row.url_masked}) as audit:
        with core.db.session() as session:
            delivery = NotificationDelivery(channel_id=row.id, channel_name=row.name, event_type=TEST, severity=INFO,
                                            title="sdmd: test message", body=body, status=repo.PENDING, attempts=0,
                                            occurred_at=utcnow())
            session.add(delivery)
            session.flush()
            delivery_id = delivery.id
        result = attempt(core, delivery_id, retries_left=0)
        audit.details.update({"delivered": result.ok, "delivery_id": delivery_id})
        if not result.ok:
            audit.outcome = "error"
            audit.details["error"] = result.error
    with core.db.sessions() as session:
        view = repo.view(session.get(NotificationDelivery, delivery_id))
    return {"delivered": result.ok, "error": result.error, "delivery": view}

