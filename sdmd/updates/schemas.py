from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ImageRead(BaseModel):
    service: str = Field(description="the compose services using the image, comma-separated")
    image: str
    old_id: str | None = Field(description="image id the containers ran")
    new_id: str | None = Field(description="image id of the candidate (pulled, or from its registry manifest)")
    changed: bool


class ImageCheckRead(ImageRead):
    """What the registry check found for one image of a run (runs before sdmd 0.2 have none)."""

    status: str | None = Field(default=None, description="up_to_date | update_available | unknown | error | off")
    reason: str | None = None
    policy: str | None = Field(default=None, description="x-sdmd update policy: digest | patch | minor | major | "
                                                          "regex | off")
    tag: str | None = None
    current_digest: str | None = Field(default=None, description="the registry digest of the running image")
    candidate_tag: str | None = Field(default=None, description="the tag to move to (the same tag: a new digest)")
    candidate_digest: str | None = None


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
    checks: list[ImageCheckRead] = Field(default_factory=list)
    commit: str | None = Field(default=None, description="a tag bump's commit of compose.yaml")
    revert_commit: str | None = Field(default=None, description="its revert commit, after a failed health gate")
    started_at: datetime
    finished_at: datetime


class UpdateJobRead(BaseModel):
    job_id: str
    status: str
    run: RunRead | None = None
    error: str | None = None
