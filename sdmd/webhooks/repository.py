"""Queries for webhooks and their calls; nothing else writes SQL for these tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sdmd.webhooks.models import Webhook, WebhookCall


def get(session: Session, webhook_id: str) -> Webhook | None:
    return session.get(Webhook, webhook_id)


def by_secret_hash(session: Session, secret_hash: str) -> Webhook | None:
    return session.scalar(sa.select(Webhook).where(Webhook.secret_hash == secret_hash))


def active(session: Session, *, service_id: str | None = None) -> list[Webhook]:
    query = sa.select(Webhook).where(Webhook.revoked_at.is_(None)).order_by(Webhook.created_at, Webhook.id)
    if service_id is not None:
        query = query.where(Webhook.service_id == service_id)
    return list(session.scalars(query))


def add_call(session: Session, *, webhook_id: str | None, client_addr: str | None, at: datetime,
             prune_before: datetime) -> None:
    session.execute(sa.delete(WebhookCall).where(WebhookCall.created_at < prune_before))
    session.add(WebhookCall(webhook_id=webhook_id, client_addr=client_addr, created_at=at))


def oldest_calls(session: Session, *, since: datetime, webhook_id: str | None = None,
                 misses_from: str | None = None, limit: int) -> list[datetime]:
    """The newest `limit` call times since `since`, for one webhook or for one client's misses."""
    query = sa.select(WebhookCall.created_at).where(WebhookCall.created_at > since)
    if webhook_id is not None:
        query = query.where(WebhookCall.webhook_id == webhook_id)
    else:
        query = query.where(WebhookCall.webhook_id.is_(None), WebhookCall.client_addr == misses_from)
    return list(session.scalars(query.order_by(WebhookCall.created_at.desc()).limit(limit)))
