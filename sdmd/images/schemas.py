"""Schemas of the local-images endpoints (list, remove, prune)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ImageUser(BaseModel):
    """A container created from the image (running or not), and the service it belongs to."""

    service_id: str | None = Field(description="svc_... for a managed service, ext_<project> for another compose "
                                               "project, null for a container outside compose")
    service_name: str | None
    managed: bool
    container: str
    state: str | None


class ServiceRef(BaseModel):
    id: str
    name: str


class LocalImage(BaseModel):
    id: str = Field(examples=["sha256:af133bdfd23225a17a8ba5dec39ed9bbe2461174d5459c05962012db940da6a1"])
    short_id: str
    tags: list[str] = Field(examples=[["127.0.0.1:5000/team/app:1"]])
    digests: list[str]
    size: int = Field(description="bytes, layers shared with other images included")
    created_at: datetime
    dangling: bool = Field(description="no tag names it")
    labels: dict[str, str]
    containers: list[ImageUser] = Field(description="the containers created from it")
    named_in: list[ServiceRef] = Field(description="managed services whose compose.yaml names one of its tags")
    in_use: bool = Field(description="a container uses it: Docker will not remove it")


class ImageList(BaseModel):
    host: str
    images: list[LocalImage]
    total_size: int = Field(description="the sum of the images' sizes (shared layers counted once per image)")


class ImageRemoved(BaseModel):
    id: str
    host: str
    untagged: list[str]
    deleted: list[str] = Field(description="image and layer ids Docker deleted; empty when only a tag went")


class PruneRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    mode: Literal["dangling", "unused"] = Field(
        default="dangling", description="dangling: images without a tag; unused: every image no container uses")
    dry_run: bool = Field(default=True, description="true: only say what would go")
    images: list[str] | None = Field(
        default=None, max_length=10000,
        description="remove only these ids (from a dry run); those no longer prunable are skipped")
    label: str | None = Field(default=None, max_length=256, examples=["team=web"],
                              description="only images with this label (key or key=value)")


class PruneImage(BaseModel):
    id: str
    short_id: str
    tags: list[str]
    size: int
    created_at: datetime
    dangling: bool


class PruneSkipped(BaseModel):
    id: str
    reason: str


class PruneResult(BaseModel):
    host: str
    mode: str
    dry_run: bool
    images: list[PruneImage] = Field(description="dry run: what would go; otherwise what went")
    size: int = Field(description="the sum of their sizes: the most the prune frees (shared layers stay)")
    skipped: list[PruneSkipped]
