from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator

from sdmd.audit.log import audited
from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import ErrorRead, InvalidInput

router = APIRouter(prefix="/api/images", tags=["images"])

REPOSITORY_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class PullRequest(BaseModel):
    image: str = Field(description="repository, e.g. 127.0.0.1:5000/team/app; may carry its tag (app:v1)",
                       examples=["127.0.0.1:5000/team/app:v1"])
    tag: str | None = Field(default=None, description="empty or absent: the image's own tag, else latest; "
                            "given beside an image that has a tag, it must be the same tag")

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c.isspace() for c in value):
            raise ValueError("must be an image reference without spaces")
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        return (value or "").strip().removeprefix(":") or None


class PullRead(BaseModel):
    image: str
    status: list[str]
    image_id: str | None
    digest: str | None


def split_reference(image: str, tag: str | None) -> tuple[str, str]:
    """(repository, tag) from an image that may carry its tag and a tag that may repeat it."""
    repository, explicit = image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, explicit = image.rsplit(":", 1)
    if tag and explicit and tag != explicit:
        raise InvalidInput("the image and the tag disagree",
                           f"{image} names the tag {explicit} and the tag field says {tag}: give one of them, "
                           "or the same tag in both")
    return repository, tag or explicit or "latest"


@router.post("/pull", response_model=PullRead, summary="Pull an image",
             description="`image` may carry its tag (`app:v1`), `tag` may carry it instead, or both the same tag; "
                         "two different tags are a 422.",
             responses={404: {"model": ErrorRead, "description": "the registry has no such image or tag"},
                        422: {"model": ErrorRead, "description": "an invalid reference, or two different tags"}})
def pull_image(body: PullRequest, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    repository, tag = split_reference(body.image, body.tag)
    if not REPOSITORY_RE.match(repository) or not TAG_RE.match(tag):
        raise InvalidInput("invalid image reference", f"{repository}:{tag}")
    with audited(core.db, actor, "image.pull", target_name=f"{repository}:{tag}") as audit:
        result = core.docker.pull(repository, tag)
        audit.details.update({"image_id": result.image_id, "digest": result.digest})
    return result.__dict__
