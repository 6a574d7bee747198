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


class PolicyRead(BaseModel):
    """The image's `x-sdmd:` mapping in compose.yaml (defaults when it has none)."""

    update: str = Field(description="digest | patch | minor | major | regex | off", examples=["minor"])
    include: str | None = Field(default=None, description="regex a candidate tag must match (re.search)")
    exclude: str | None = Field(default=None, description="regex a candidate tag must not match")
    prerelease: bool = Field(default=False, description="whether 1.3.0-rc1 and the like count as candidates")


class ImageVersionRead(BaseModel):
    """One side of a change: the tag, its registry digest and image id, and release information from the
    image's OCI labels (org.opencontainers.image.version, .source, .url, .revision)."""

    tag: str | None
    digest: str | None = Field(description="registry (manifest) digest; null for an image built or imported locally")
    image_id: str | None
    created: str | None = Field(description="the image's created date (RFC 3339), from its config")
    version: str | None
    source: str | None
    url: str | None
    revision: str | None
    release_notes: str | None = Field(description="derived from a GitHub source: releases/tag/<version>, "
                                                  "else the releases page; never fetched by sdmd")


class ImageUpdateRead(BaseModel):
    services: list[str] = Field(description="compose services that use this image with this policy")
    image: str = Field(examples=["nginx:1.27.1"])
    repository: str
    registry: str = Field(examples=["docker.io", "ghcr.io"])
    policy: PolicyRead
    status: str = Field(description="up_to_date | update_available | unknown (no registry digest: built or "
                                    "imported locally) | error | off")
    reason: str | None = Field(description="why, in words: `1.27.1 → 1.27.3`, `latest: new digest`, the error")
    change: str | None = Field(description="tag (compose.yaml gets a new tag) | digest (same tag, new build) | null")
    applicable: bool = Field(description="an update run would apply it (false: e.g. the tag comes from a variable)")
    new_image: str | None = Field(description="the image line after a tag change")
    current: ImageVersionRead
    candidate: ImageVersionRead | None
    compare_url: str | None = Field(description="GitHub compare view between the two revisions, when both are known")


class ServiceUpdatesRead(BaseModel):
    service_id: str
    name: str
    checked_at: datetime
    update_available: bool
    policy_errors: list[str] = Field(description="x-sdmd problems in a hand-edited compose.yaml (those images "
                                                 "are followed by digest)")
    images: list[ImageUpdateRead]
