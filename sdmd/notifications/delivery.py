"""Delivery, performed by `sdmd worker`: one row per channel, each sent with retries and backoff.

`dispatch_job` fans an event out to the channels that want it; `send_job` makes one attempt and,
while RQ has retries left (SDMD_NOTIFY_RETRY_SECONDS), raises so that RQ schedules the next one.
Every attempt's outcome is written to the delivery row, which the API lists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Retry, get_current_job

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.notifications import apprise_url
from sdmd.notifications import repository as repo
from sdmd.notifications.events import TEST, Event, selects
from sdmd.notifications.models import NotificationChannel, NotificationDelivery
from sdmd.secretbox import SecretBox

log = logging.getLogger("sdmd.notifications")


class DeliveryFailed(Exception):
    """Raised by send_job so that RQ retries it after the next backoff interval."""


@dataclass
class Attempt:
    ok: bool
    error: str | None = None
    retry: bool = False


def _job_core() -> Core:
    from sdmd.updates.jobs import job_core

    return job_core()


def _redis(core: Core) -> Redis:
    from sdmd.updates.queue import redis_connection

    return redis_connection(core.settings)


def dispatch_job(payload: dict[str, Any]) -> dict[str, Any]:
    core = _job_core()
    return {"deliveries": dispatch(core, _redis(core), Event.from_payload(payload))}


def dispatch(core: Core, conn: Redis, event: Event) -> list[int]:
    """A delivery row for each enabled channel that selects the event; digest channels keep theirs
    for the daily digest. Returns the ids queued for sending now."""
    with core.db.session() as session:
        rows = []
        for channel in repo.channels(session, enabled_only=True):
            if not selects(channel.events, event.type):
                continue
            rows.append(NotificationDelivery(
                channel_id=channel.id, channel_name=channel.name, event_type=event.type, severity=event.severity,
                title=event.title[:255], body=event.body, service=event.service, host=event.host, link=event.link,
                status=repo.DIGEST_WAITING if channel.digest else repo.PENDING, attempts=0,
                occurred_at=event.occurred_at))
        session.add_all(rows)
        session.flush()
        now = [r.id for r in rows if r.status == repo.PENDING]
    for delivery_id in now:
        enqueue_send(core, conn, delivery_id)
    return now


def enqueue_send(core: Core, conn: Redis, delivery_id: int) -> None:
    from sdmd.updates.queue import notify_queue

    intervals = list(core.settings.notify_retry_seconds)
    notify_queue(core.settings, conn).enqueue(
        send_job, delivery_id, retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
        job_timeout=int(core.settings.notify_timeout_seconds) + 30, result_ttl=3600, failure_ttl=7 * 86400,
        description=f"deliver notification {delivery_id}")


def send_job(delivery_id: int) -> dict[str, Any]:
    core = _job_core()
    job = get_current_job()
    result = attempt(core, delivery_id, retries_left=(job.retries_left or 0) if job else 0)
    if result.retry:
        raise DeliveryFailed(result.error or "delivery failed")
    return {"delivery_id": delivery_id, "ok": result.ok, "error": result.error}


def attempt(core: Core, delivery_id: int, *, retries_left: int) -> Attempt:
    """One attempt at one delivery; records it. `retry` says whether another attempt will follow."""
    with core.db.session() as session:
        row = session.get(NotificationDelivery, delivery_id)
        if row is None or row.status in (repo.SENT, repo.FAILED, repo.CANCELLED):
            return Attempt(ok=row is not None and row.status == repo.SENT, error="already settled")
        channel = session.get(NotificationChannel, row.channel_id) if row.channel_id else None
        # A test is asked for by a person, who may test a channel before enabling it (the API says so).
        if channel is None or (not channel.enabled and row.event_type != TEST):
            row.status = repo.CANCELLED
            row.error = "the channel was deleted or disabled before the message went out"
            return Attempt(ok=False, error=row.error)
        try:
            url = SecretBox(core.settings.data_dir).decrypt(channel.url_encrypted)
        except ValueError as exc:
            row.status, row.error = repo.FAILED, str(exc)
            return Attempt(ok=False, error=row.error)
        title, body, severity = row.title, row.body, row.severity
        if row.link and row.link not in body:
            body = f"{body}\n{row.link}"
    sent = apprise_url.send(url, title=title, body=body, severity=severity,
                            timeout=core.settings.notify_timeout_seconds)
    with core.db.session() as session:
        row = session.get(NotificationDelivery, delivery_id)
        if row is None:  # pruned meanwhile
            return Attempt(ok=sent.ok, error=sent.error)
        row.attempts += 1
        row.last_attempt_at = utcnow()
        if sent.ok:
            row.status, row.error, row.sent_at = repo.SENT, None, row.last_attempt_at
            return Attempt(ok=True)
        row.error = sent.error
        row.status = repo.RETRYING if retries_left > 0 else repo.FAILED
    log.warning("notification %s to %s failed (attempt %d%s): %s", delivery_id, row.channel_name, row.attempts,
                ", will retry" if retries_left > 0 else ", giving up", sent.error)
    return Attempt(ok=False, error=sent.error, retry=retries_left > 0)
