from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow


class DockerServiceConfig(Base):
    """The database mirror of one stacks/<name>/compose.yaml."""

    __tablename__ = "docker_service_configs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    compose_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # The host it runs on: the mirror of x-sdmd.host in its compose.yaml ("local" when the file names none).
    host: Mapped[str] = mapped_column(String(64), default="local", server_default="local", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DockerService(Base):
    """Status history: one row each time sdmd changed or observed a service's state."""

    __tablename__ = "docker_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("docker_service_configs.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
