"""The daily digest (one message per digest channel with everything since the last one) and the
daily housekeeping of the deliveries table. `sdmd scheduler` enqueues the job once a day
(sdmd/notifications/daily.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from redis import Redis

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.notifications import repository as repo
from sdmd.notifications.events import DIGEST, ERROR, INFO, WARNING
from sdmd.notifications.models import NotificationDelivery

log = logging.getLogger("sdmd.notifications")

MAX_ITEMS = 100
def daily_job() -> dict[str, Any]:
    from sdmd.notifications.delivery import _job_core, _redis

    core = _job_core()
    sent = send_digests(core, _redis(core))
    with core.db.session() as session:
        pruned = repo.prune(session, older_than=utcnow() - timedelta(days=core.settings.notify_retention_days))
    return {"digests": sent, "pruned": pruned}


def send_digests(core: Core, conn: Redis) -> list[int]:
    """One digest delivery per channel that has events waiting; the events point at it."""
    from sdmd.notifications.delivery import enqueue_send

    queued = []
    with core.db.session() as session:
        for channel in repo.channels(session, enabled_only=True):
            items = repo.waiting_for_digest(session, channel.id)
            if not items:
                continue
            digest = NotificationDelivery(
                channel_id=channel.id, channel_name=channel.name, event_type=DIGEST, severity=_worst(items),
                title=f"sdmd daily digest: {_count(items)}", body=digest_body(items), status=repo.PENDING,
                attempts=0, occurred_at=utcnow())
            session.add(digest)
            session.flush()
            for item in items:
                item.status, item.digest_id = repo.DIGESTED, digest.id
            queued.append(digest.id)
    for delivery_id in queued:
        enqueue_send(core, conn, delivery_id)
    return queued


def _count(items: list[NotificationDelivery]) -> str:
    return f"{len(items)} event" + ("" if len(items) == 1 else "s")


def _worst(items: list[NotificationDelivery]) -> str:
    levels = {i.severity for i in items}
    return ERROR if ERROR in levels else WARNING if WARNING in levels else INFO


def digest_body(items: list[NotificationDelivery]) -> str:
    lines = []
    for item in items[:MAX_ITEMS]:
        when = item.occurred_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"- {when} [{item.severity}] {item.title}")
        # The first line says what happened; the "what to do" and link lines follow it indented.
        for line in item.body.splitlines()[1:]:
            if line.startswith(("What to do:", "Open:")):
                lines.append(f"    {line}")
    if len(items) > MAX_ITEMS:
        lines.append(f"... and {len(items) - MAX_ITEMS} more (see Settings → Notifications)")
    return "\n".join(lines)
