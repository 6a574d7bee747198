from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DriftItem(BaseModel):
    kind: str  # missing | extra | stopped | config | image
    service: str | None
    container: str | None
    detail: str


class DriftRead(BaseModel):
    drifted: bool
    file: str  # in_sync | changed | missing (file vs database mirror)
    compared_with: str | None  # containers were compared with the file's (or the mirror's) config hashes
    items: list[DriftItem]


class DriftReport(DriftRead):
    id: str
    name: str
    host: str = "local"  # the host whose containers were compared
    file_hash: str | None
    mirror_hash: str | None
    applied_hash: str | None


class GitopsStateRead(BaseModel):
    state: str  # synced | pending | error | orphaned
    error: str | None = None
    pending_hash: str | None = None
    last_commit: str | None = None
    orphaned_at: datetime | None = None


class AdoptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: str = Field(min_length=1, max_length=63)
    host: str = Field(default="local", description="the host the compose project runs on (name or id)")


class StackOutcome(BaseModel):
    name: str
    action: str  # in_sync | applied | pending | created | invalid | failed | orphaned | pruned | ...
    detail: str | None = None
    commit: str | None = None


class ReconcileReport(BaseModel):
    commits: list[str]
    remote: dict[str, Any] | None
    stacks: list[StackOutcome]


class RemoteStatus(BaseModel):
    configured: bool
    url: str | None
    branch: str
    state: str  # disabled | in_sync | pushed | pulled | ahead | diverged | error | unknown
    detail: str | None
    head: str | None
    remote_head: str | None
    synced_at: datetime | None


class GitopsStatus(BaseModel):
    stacks_dir: str
    branch: str | None
    head: str | None
    apply: str
    prune: bool
    uncommitted: list[str]
    remote: RemoteStatus
    stacks: list[dict[str, Any]]
    recent_commits: list[dict[str, str]]


class CommitRead(BaseModel):
    commit: str
    author: str
    email: str
    date: str
    message: str
