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
    model_config = ConfigDict(strict=True, extra="forbid")

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
    commit_error: str | None = Field(default=None, description="why hand edits could not be committed, if so")


class RemoteStatus(BaseModel):
    configured: bool
    url: str | None
    branch: str
    state: str  # disabled | in_sync | pushed | pulled | ahead | diverged | error | unknown
    detail: str | None
    head: str | None
    remote_head: str | None
    synced_at: datetime | None


class StackState(BaseModel):
    """A stack that needs attention: its change waits (pending), failed (error) or its folder is gone."""

    name: str
    service_id: str | None
    state: str  # pending | error | orphaned
    error: str | None = None
    pending_hash: str | None = None
    last_commit: str | None = None
    orphaned_at: datetime | None = None


class RoundError(BaseModel):
    stack: str | None = Field(description="the stack folder, or null for the repository or remote")
    error: str


class RoundRead(BaseModel):
    """One reconcile round: when, why (periodic, watch, api, cli), what it committed and did, what failed."""

    id: int
    started_at: datetime
    finished_at: datetime
    trigger: str
    scope: list[str] | None = Field(description="the folders the round looked at; null: all of them")
    commits: list[str]
    remote: dict[str, Any] | None
    stacks: list[StackOutcome] = Field(description="what the round did, other than finding a stack in sync")
    errors: list[RoundError]


class GitopsStatus(BaseModel):
    stacks_dir: str
    branch: str | None
    head: str | None
    apply: str
    prune: bool
    uncommitted: list[str]
    remote: RemoteStatus
    stacks: list[StackState]
    recent_commits: list[dict[str, str]]
    last_round: RoundRead | None = Field(default=None, description="the latest reconcile round of any process")
    rounds: list[RoundRead] = Field(default_factory=list, description="the latest rounds, newest first (10)")


class CommitRead(BaseModel):
    commit: str
    author: str
    email: str
    date: str
    message: str


class CommitFile(BaseModel):
    path: str = Field(description="relative to the service's folder, e.g. compose.yaml")
    old_path: str | None = Field(description="the path before a rename")
    status: str  # added | modified | deleted | renamed | type_changed | copied
    additions: int
    deletions: int
    binary: bool
    truncated: bool = Field(description="the patch was cut at 512 KiB")
    patch: str = Field(description="this file's part of the unified diff against the commit's first parent")


class CommitDetail(CommitRead):
    short: str
    parents: list[str]
    files: list[CommitFile] = Field(description="what the commit changed in the service's folder")
    tree: list[str] = Field(description="the files the service's folder held at this commit")
    is_head: bool = Field(description="the newest commit of the service's folder (its current version)")


class FileAtCommit(BaseModel):
    commit: str
    path: str
    size: int
    content: str
