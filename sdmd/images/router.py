from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sdmd.audit.log import audited
from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput
from sdmd.hosts import reader
from sdmd.http_errors import ErrorRead, error_responses
from sdmd.images import inventory
from sdmd.images.schemas import ImageList, ImageRemoved, PruneRequest, PruneResult

router = APIRouter(prefix="/api/images", tags=["images"])

REPOSITORY_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class PullRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    image: str = Field(description="repository, e.g. 127.0.0.1:5000/team/app; may carry its tag (app:v1)",
                       examples=["127.0.0.1:5000/team/app:v1"])
    tag: str | None = Field(default=None, description="empty or absent: the image's own tag, else latest; "
                            "given beside an image that has a tag, it must be the same tag")
    host: str = Field(default="local", description="the host that pulls it (name or id)")

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
        host = core.hosts.get(body.host)
        audit.details["host"] = host.name
        reader.require_reachable(core, host.name)
        result = core.gateway(host.name).pull(repository, tag)
        audit.details.update({"image_id": result.image_id, "digest": result.digest})
    return result.__dict__


# -- local images of a host: list, remove, prune (issue 18) ----------------------------------------
HostQuery = Annotated[str, Query(max_length=64, description="the Docker host (name or id, GET /api/hosts)")]
# What inventory.find accepts, stated in the schema so that no id the schema allows is refused as invalid.
ImageIdPath = Annotated[str, Path(pattern=r"^(sha256:)?[0-9a-fA-F]{12,64}$",
                                  description="`sha256:<64 hex>` or a unique prefix of at least 12 hex digits",
                                  examples=["sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741",
                                            "3f57d9401f8d"])]


@router.get("", response_model=ImageList,
            responses=error_responses(e404="host not found", e503="docker daemon unavailable"))
def list_images(core: CoreDep, host: HostQuery = inventory.LOCAL_HOST) -> dict[str, Any]:
    """The host's images (as `docker images` lists them), newest first: tags, size, age, the containers
    created from each (and their services), and the managed services whose compose file names it."""
    inv = inventory.inventory(core, host)
    return {"host": inv.host, "images": inv.images, "total_size": sum(i["size"] for i in inv.images)}


@router.delete("/{image_id}", response_model=ImageRemoved,
               responses=error_responses(e404="image not found", e409="image in use", e422="invalid image id"))
def remove_image(image_id: ImageIdPath, core: CoreDep, actor: ActorDep, host: HostQuery = inventory.LOCAL_HOST,
                 tag: Annotated[str | None, Query(max_length=512, description="remove only this tag of the image")]
                 = None) -> dict[str, Any]:
    """Remove an image by id (`sha256:...` or at least 12 hex digits): each of its tags, then the image.
    Never forced: an image a container uses (running or stopped) is a 409 naming those containers.
    With `tag`, only that tag goes (the image too when it was the last one). Audited as `image.remove`."""
    return inventory.remove_image(core, image_id, actor=actor, host=host, tag=tag)


@router.post("/prune", response_model=PruneResult,
             responses=error_responses(e404="host not found", e503="docker daemon unavailable"))
def prune_images(body: PruneRequest, core: CoreDep, actor: ActorDep,
                 host: HostQuery = inventory.LOCAL_HOST) -> dict[str, Any]:
    """Images no container uses and no managed compose file names: `dangling` ones (no tag) or all
    `unused` ones. Send `dry_run: true` first to see what would go, then `dry_run: false` with the
    preview's ids in `images`, so that only what was shown goes. Audited as `image.prune`."""
    return inventory.prune(core, actor=actor, mode=body.mode, dry_run=body.dry_run, host=host,
                           only=body.images, label=body.label)
