from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ImageRead(BaseModel):
    service: str
    image: str
    old_id: str | None
    new_id: str | None
    changed: bool


class RunRead(BaseModel):
    id: int | None
    service_id: str
    schedule_id: str | None
    mode: str
    trigger: str
    actor: str | None
    job_id: str | None
    result: str
    reason: str | None
    images: list[ImageRead]
    started_at: datetime
    finished_at: datetime


class UpdateJobRead(BaseModel):
    job_id: str
    status: str
    run: RunRead | None = None
    error: str | None = None
