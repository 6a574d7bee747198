"""The hosts table: every Docker host but `local`, which comes from SDMD_DOCKER_HOST and is never stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow


class Host(Base):
    __tablename__ = "hosts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(512))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Public metadata only: the material itself is in files under the data dir (sdmd/hosts/material.py).
    tls: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ssh_key: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    host_key: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # pinned keys, pinned_at
    engine: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # last seen version, os/arch
    # Bumped whenever how to connect changes (url, material, pinned key), so every process reconnects.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
