from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from sdmd.audit.log import audited
from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput
from sdmd.hosts import reader

router = APIRouter(prefix="/api/images", tags=["images"])

REPOSITORY_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class PullRequest(BaseModel):
    image: str = Field(description="repository, e.g. 127.0.0.1:5000/team/app; may carry :tag")
    tag: str | None = Field(default=None, description="defaults to the image's own tag, else latest")
    host: str = Field(default="local", description="the host that pulls it (name or id)")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("must be an image reference without spaces")
        return value


class PullRead(BaseModel):
    image: str
    status: list[str]
    image_id: str | None
    digest: str | None


def split_reference(image: str, tag: str | None) -> tuple[str, str]:
    repository, explicit = image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, explicit = image.rsplit(":", 1)
    if tag and explicit and tag != explicit:
        raise ValueError(f"two tags given: {explicit} and {tag}")
    return repository, tag or explicit or "latest"


@router.post("/pull", response_model=PullRead)
def pull_image(body: PullRequest, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    try:
        repository, tag = split_reference(body.image, body.tag)
    except ValueError as exc:
        raise InvalidInput("invalid image reference", str(exc)) from exc
    if not REPOSITORY_RE.match(repository) or not TAG_RE.match(tag):
        raise InvalidInput("invalid image reference", f"{repository}:{tag}")
    with audited(core.db, actor, "image.pull", target_name=f"{repository}:{tag}") as audit:
        host = core.hosts.get(body.host)
        audit.details["host"] = host.name
        reader.require_reachable(core, host.name)
        result = core.gateway(host.name).pull(repository, tag)
        audit.details.update({"image_id": result.image_id, "digest": result.digest})
    return result.__dict__
