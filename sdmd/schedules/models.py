from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sdmd.db.base import Base, UTCDateTime, utcnow

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
RunId = BigInteger().with_variant(Integer(), "sqlite")


class ScheduledTask(Base):
    """The seed's ScheduledTasks: one update schedule of one service. rq-scheduler only mirrors it."""

    __tablename__ = "scheduled_tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("docker_service_configs.id", ondelete="CASCADE"), index=True
    )
    frequency: Mapped[str] = mapped_column(String(16))
    day_of_week: Mapped[str | None] = mapped_column(String(16), nullable=True)
    time_of_day: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class UpdateRun(Base):
    """One run of the update cycle, scheduled or manual: what it found, what it did, why."""

    __tablename__ = "update_runs"

    id: Mapped[int] = mapped_column(RunId, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("docker_service_configs.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("scheduled_tasks.id", ondelete="SET NULL"), nullable=True, index=True
    )
    mode: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    result: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    images: Mapped[list] = mapped_column(JSON, default=list)
    # updates (issue 11): a tag bump's commit of compose.yaml, and its revert after a failed gate
    commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    revert_commit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
