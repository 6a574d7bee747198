from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow


class GitopsStack(Base):
    """What reconcile knows about one stacks/<name>/ folder.

    Keyed by folder name, not service id: a new folder whose file is invalid, or a folder whose
    service was never created, still needs somewhere to keep its error.
    """

    __tablename__ = "gitops_stacks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("docker_service_configs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    applied_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pending_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    orphaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # compose's per-service config hash and image for the file whose content hash is hashes_for,
    # so listing services compares container labels without running compose.
    hashes_for: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_hashes: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def state(self) -> str:
        if self.orphaned_at is not None:
            return "orphaned"
        if self.error:
            return "error"
        if self.pending_hash:
            return "pending"
        return "synced"


class GitopsRepo(Base):
    """The stacks repository's standing against its remote (one row)."""

    __tablename__ = "gitops_repo"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    head: Mapped[str | None] = mapped_column(String(64), nullable=True)
    remote_head: Mapped[str | None] = mapped_column(String(64), nullable=True)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GitopsRound(Base):
    """One reconcile round (the loop's, `sdmd reconcile`'s or the API's), for the GitOps page.

    Only the latest rounds are kept (gitops/rounds.py trims the table after each insert).
    """

    __tablename__ = "gitops_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(16))  # periodic | watch | api | cli
    scope: Mapped[list | None] = mapped_column(JSON, nullable=True)  # folder names, or None for all
    commits: Mapped[list] = mapped_column(JSON)
    remote: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    stacks: Mapped[list] = mapped_column(JSON)  # outcomes other than in_sync
    errors: Mapped[list] = mapped_column(JSON)  # [{"stack": name or None, "error": text}]
