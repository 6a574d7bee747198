from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow


class RegistryCredential(Base):
    """Credentials for one registry server. `secret` is a Fernet token (sdmd/secretbox.py), never plaintext."""

    __tablename__ = "registry_credentials"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    server: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(255))
    secret_kind: Mapped[str] = mapped_column(String(16))  # password | token
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
