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
    id: str = Field(description="svc_… for managed services; ext_<project> (local) or ext_<host>.<project> otherwise")
    name: str
    host: str = Field(default="local", description="the host it runs on: x-sdmd.host of its compose.yaml")
    host_state: str = Field(default="connected", description="connected | reconnecting | unreachable | missing "
                                                             "(the file names a host that is not configured)")
    host_error: str | None = Field(default=None, description="why the host is not connected, when it is not")
    managed: bool
    status: str = Field(description="running | partial | stopped | not_deployed | unknown (its host is not connected)")
    containers: list[ContainerRead] = Field(description="what Docker lists; while the host is not connected, "
                                                        "the last containers seen there")
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


class MovePlan(BaseModel):
    service: str
    from_host: str
    to_host: str
    volumes: list[str] = Field(description="named volumes that stay on the old host (and start empty on the new)")
    bind_mounts: list[str] = Field(description="bind-mounted paths, which are paths on the new host after the move")
    warning: str


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
    host: str = Field(default="local", description="the host the file names (x-sdmd.host)")
    move: MovePlan | None = Field(default=None, description="the file names another host than the service runs "
                                                           "on: what the move does and leaves behind (saving it "
                                                           "needs confirm_move=true)")


class LogEntry(BaseModel):
    container: str
    service: str | None
    timestamp: str
    message: str


class MoveRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    host: str = Field(description="the host to move to (name or id)", examples=["web1"])
    confirm: bool = Field(default=False, description="named volumes do not move: true to go ahead anyway")
    dry_run: bool = Field(default=False, description="only say what the move would do (and leave behind)")


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
    model_config = ConfigDict(strict=True, extra="forbid")

    content: str = Field(description="the new .env text; empty removes the file",
                         examples=["POSTGRES_PASSWORD=change-me\nTAG=1.27\n"])
