from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sdmd.gitops.schemas import DriftRead, GitopsStateRead


class PortRead(BaseModel):
    host_ip: str
    host_port: int
    container_port: int
    protocol: str


class ContainerRead(BaseModel):
    id: str
    name: str
    service: str | None
    image: str | None
    image_id: str | None
    state: str | None
    status: str | None
    health: str | None
    ports: list[PortRead]


class ServiceRead(BaseModel):
    id: str
    name: str
    managed: bool
    status: str
    containers: list[ContainerRead]
    content_hash: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    compose: str | None = None
    file_hash: str | None = None  # gitops: content hash of stacks/<name>/compose.yaml (the ETag)
    drift: DriftRead | None = None  # gitops: file vs database mirror vs containers
    gitops: GitopsStateRead | None = None  # gitops: synced | pending | error | orphaned
    update_available: bool = False  # the last update check found a newer image (issue 4)
    # what compose accepts but the person should know (e.g. an obsolete `version:`), and places whose
    # layout an edit could not keep; only with the compose text (one service, write responses)
    warnings: list[str] = []


class DryRunRead(BaseModel):
    """What `?dry_run=true` answers: nothing was written, validated, applied or committed."""

    dry_run: Literal[True] = True
    name: str
    compose: str  # the file text that would be written
    diff: str  # unified diff from the current file (a/<name>/compose.yaml, or /dev/null) to `compose`
    changed: bool  # False: the request would leave the file byte for byte as it is
    file_hash: str  # the ETag the file would have
    base_hash: str | None  # the ETag of the current file: send it as If-Match to save exactly this diff
    warnings: list[str] = []


class LogEntry(BaseModel):
    container: str
    service: str | None
    timestamp: str
    message: str


class EnvFileRead(BaseModel):
    """stacks/<name>/.env: compose interpolates ${VARIABLES} in compose.yaml from it."""

    service_id: str
    name: str
    path: str = Field(examples=["web/.env"])
    exists: bool
    content: str = Field(description="the file's text (values included: show them masked)")
    keys: list[str] = Field(description="the variable names it defines, in file order")
    etag: str = Field(description="send as If-Match to PUT; also the ETag header")
    warnings: list[str] = Field(default_factory=list, description="what compose warned about when it was saved")


class EnvFileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(description="the new .env text; empty removes the file",
                         examples=["POSTGRES_PASSWORD=change-me\nTAG=1.27\n"])
