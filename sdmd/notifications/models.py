"""Notification channels, the deliveries made to them, and marks that make an event go out once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
DeliveryId = BigInteger().with_variant(Integer(), "sqlite")


class NotificationChannel(Base):
    """One Apprise URL and the events it wants. The URL is kept encrypted (it usually holds a token)."""

    __tablename__ = "notification_channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_masked: Mapped[str] = mapped_column(Text)  # what the API shows: Apprise's own privacy form
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)  # one daily message instead of each event
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationDelivery(Base):
    """One message for one channel: its text, every attempt's outcome, and the last error."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(DeliveryId, primary_key=True, autoincrement=True)
    # Kept (with the name) when the channel is deleted, so the history still says where it went.
    channel_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("notification_channels.id", ondelete="SET NULL"), index=True, nullable=True)
    channel_name: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    service: Mapped[str | None] = mapped_column(String(128), nullable=True)
    host: Mapped[str | None] = mapped_column(String(128), nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    # pending -> sent | retrying -> ... -> sent | failed;  digest: waiting for the daily digest -> digested
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    digest_id: Mapped[int | None] = mapped_column(DeliveryId, nullable=True)  # the digest that carried it
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationMark(Base):
    """The last value an event was sent for (e.g. the candidate image of an "update available")."""

    __tablename__ = "notification_marks"

    key: Mapped[str] = mapped_column(String(191), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
