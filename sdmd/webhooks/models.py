from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow


class Webhook(Base):
    """One secret URL for one service. Only a SHA-256 of the secret is kept; it is shown once."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # whk_<hex>
    service_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("docker_service_configs.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # update | apply
    mode: Mapped[str] = mapped_column(String(16), default="update")  # update | check (action "update")
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookCall(Base):
    """A call of the webhook URL, kept for the rate limit window: per webhook, and misses per client."""

    __tablename__ = "webhook_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    webhook_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)  # None: unknown secret
    client_addr: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
