"""The images of a Docker host (any configured host): what is there, who uses it, removing, pruning.

"In use" means what Docker means: some container (running or stopped, compose or not) was created
from the image; Docker refuses to remove those. sdmd adds one caution of its own: pruning keeps an
image that a managed service's compose file names, so a stopped or not yet deployed service does not
lose its image (remove it by hand if that is what you want).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.docker import DockerGateway
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import Conflict, InvalidInput, NotFound, SdmdError
from sdmd.gitops.context import file_images
from sdmd.hosts import reader
from sdmd.services import repository as services_repo
from sdmd.services.views import unmanaged_id

LOCAL_HOST = "local"
NONE_TAG = "<none>:<none>"
NONE_DIGEST = "<none>@<none>"
PruneMode = Literal["dangling", "unused"]


def gateway_for(core: Core, host: str) -> tuple[str, DockerGateway]:
    """(host name, its gateway): 404 for a host that is not configured, 503 at once for one that is down."""
    name = core.hosts.get(host).name
    reader.require_reachable(core, name)
    return name, core.gateway(name)


def normalise_ref(ref: str) -> str:
    """An image reference as Docker lists it in RepoTags: Docker Hub's prefixes dropped, :latest added."""
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref.removeprefix(prefix)
            break
    ref = ref.removeprefix("library/")
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else f"{ref}:latest"


@dataclass
class Inventory:
    host: str
    images: list[dict[str, Any]] = field(default_factory=list)

    def find(self, image_id: str) -> dict[str, Any]:
        """By full id (sha256:...) or a unique hex prefix of at least 12 characters."""
        wanted = image_id.lower().removeprefix("sha256:")
        if len(wanted) < 12 or any(c not in "0123456789abcdef" for c in wanted):
            raise InvalidInput("invalid image id", "give the image id (sha256:... or at least its first 12 hex digits)")
        found = [i for i in self.images if i["id"].removeprefix("sha256:").startswith(wanted)]
        if not found:
            raise NotFound("image not found", f"no image {image_id} on host {self.host}")
        if len(found) > 1:
            raise InvalidInput("ambiguous image id", f"{image_id} matches {len(found)} images; give more digits")
        return found[0]


def _services_by_name(core: Core, host: str) -> dict[str, str]:
    """The managed services on `host` (only their files keep images there from a prune)."""
    with core.db.sessions() as session:
        return {c.name: c.id for c in services_repo.all_configs(session) if c.host == host}


def _named_in_files(core: Core, services: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """{normalised image reference: [services whose compose file names it]}."""
    named: dict[str, list[dict[str, Any]]] = {}
    for name, service_id in sorted(services.items()):
        text = core.stacks.read(name)
        if text is None:
            continue
        for ref in {r for r in file_images(text).values() if r}:
            named.setdefault(normalise_ref(ref), []).append({"id": service_id, "name": name})
    return named


def _user(host: str, container: dict[str, Any], services: dict[str, str]) -> dict[str, Any]:
    project = (container.get("Labels") or {}).get(PROJECT_LABEL)
    names = container.get("Names") or []
    service_id = services.get(project) if project else None
    return {
        "service_id": service_id or (unmanaged_id(host, project) if project else None),
        "service_name": project,
        "managed": service_id is not None,
        "container": names[0].lstrip("/") if names else container["Id"][:12],
        "state": container.get("State"),
    }


def inventory(core: Core, host: str = LOCAL_HOST) -> Inventory:
    """Every top-level image with its tags, size, age, the containers using it and the files naming it.

    Three reads whatever the number of images: /images/json, /containers/json and the stack files.
    """
    host, gateway = gateway_for(core, host)
    raw_images = gateway.images()
    containers = gateway.all_containers()
    services = _services_by_name(core, host)
    named = _named_in_files(core, services)
    users: dict[str, list[dict[str, Any]]] = {}
    for c in containers:
        users.setdefault(c.get("ImageID") or "", []).append(_user(host, c, services))
    images = []
    for raw in raw_images:
        tags = sorted(t for t in raw.get("RepoTags") or [] if t != NONE_TAG)
        digests = sorted(d for d in raw.get("RepoDigests") or [] if d != NONE_DIGEST)
        named_in: dict[str, dict[str, Any]] = {}
        for ref in (*tags, *digests):
            for svc in named.get(normalise_ref(ref), []):
                named_in[svc["id"]] = svc
        used_by = sorted(users.get(raw["Id"], []), key=lambda u: (u["service_name"] or "~", u["container"]))
        images.append({
            "id": raw["Id"],
            "short_id": raw["Id"].removeprefix("sha256:")[:12],
            "tags": tags,
            "digests": digests,
            "size": int(raw.get("Size") or 0),
            "created_at": datetime.fromtimestamp(int(raw.get("Created") or 0), UTC),
            "dangling": not tags,
            "labels": raw.get("Labels") or {},
            "containers": used_by,
            "named_in": sorted(named_in.values(), key=lambda s: s["name"]),
            "in_use": bool(used_by),
        })
    images.sort(key=lambda i: i["created_at"], reverse=True)
    return Inventory(host=host, images=images)


def _label_matches(image: dict[str, Any], label: str | None) -> bool:
    if not label:
        return True
    key, sep, value = label.partition("=")
    labels = image["labels"]
    return key in labels and (not sep or labels[key] == value)


def prune_candidates(inv: Inventory, mode: PruneMode, label: str | None = None) -> list[dict[str, Any]]:
    """What a prune removes: no container uses it, no compose file names it (and dangling, in that mode)."""
    return [i for i in inv.images
            if not i["in_use"] and not i["named_in"] and (mode == "unused" or i["dangling"])
            and _label_matches(i, label)]


def _describe_users(image: dict[str, Any]) -> str:
    parts = [f"{u['service_name'] or 'container'} ({u['container']}, {u['state']})" for u in image["containers"]]
    return "used by " + ", ".join(parts)


def _remove(gateway: DockerGateway, image: dict[str, Any], tag: str | None = None) -> dict[str, list[str]]:
    """Untag (each tag, or the one given); Docker deletes the image with its last tag. Never forced."""
    steps: list[dict[str, Any]] = []
    if tag is not None:
        steps += gateway.delete_image(tag)
    else:
        for t in image["tags"]:
            steps += gateway.delete_image(t)
        if not image["tags"] or gateway.inspect_image(image["id"]) is not None:
            steps += gateway.delete_image(image["id"])
    return {"untagged": [s["Untagged"] for s in steps if "Untagged" in s],
            "deleted": [s["Deleted"] for s in steps if "Deleted" in s]}


def remove_image(core: Core, image_id: str, *, actor: Actor | None, host: str = LOCAL_HOST,
                 tag: str | None = None) -> dict[str, Any]:
    inv = inventory(core, host)
    host = inv.host
    image = inv.find(image_id)
    if tag is not None and tag not in image["tags"]:
        raise InvalidInput("tag not on this image", f"{image['short_id']} has {', '.join(image['tags']) or 'no tags'}")
    target = tag or (image["tags"][0] if image["tags"] else image["short_id"])
    # The audit log's target columns hold 64 and 128 characters: the bare hex id, a name cut to fit.
    with audited(core.db, actor, "image.remove", target_id=image["id"].removeprefix("sha256:"),
                 target_name=target[:128], details={"host": host, "id": image["id"], "size": image["size"],
                                                    "tags": [tag] if tag else image["tags"]}) as audit:
        if image["in_use"] and (tag is None or len(image["tags"]) == 1):
            raise Conflict("image in use", f"{_describe_users(image)}; remove or recreate those containers first")
        result = _remove(gateway_for(core, host)[1], image, tag)
        audit.details["deleted"] = bool(result["deleted"])
    return {"id": image["id"], "host": host, **result}


def prune(core: Core, *, actor: Actor | None, mode: PruneMode, dry_run: bool, host: str = LOCAL_HOST,
          only: list[str] | None = None, label: str | None = None) -> dict[str, Any]:
    """Preview (dry_run) or remove the prune candidates; `only` limits removal to ids from a preview,
    so nothing the person did not see goes, and whatever became used since is skipped."""
    inv = inventory(core, host)
    host = inv.host
    candidates = prune_candidates(inv, mode, label)
    skipped: list[dict[str, str]] = []
    if only is not None:
        wanted = {i.removeprefix("sha256:") for i in only}
        by_id = {c["id"].removeprefix("sha256:"): c for c in candidates}
        for image_id in sorted(wanted - by_id.keys()):
            skipped.append({"id": f"sha256:{image_id}",
                            "reason": "no longer a prune candidate (in use, named in a compose file, or gone)"})
        candidates = [c for key, c in by_id.items() if key in wanted]
    view = [{k: c[k] for k in ("id", "short_id", "tags", "size", "created_at", "dangling")} for c in candidates]
    result: dict[str, Any] = {"host": host, "mode": mode, "dry_run": dry_run, "images": view,
                              "size": sum(c["size"] for c in candidates), "skipped": skipped}
    if dry_run:
        return result
    _, gateway = gateway_for(core, host)
    removed: list[dict[str, Any]] = []
    with audited(core.db, actor, "image.prune", target_name=f"{mode} images on {host}"[:128],
                 details={"host": host, "mode": mode, "label": label}) as audit:
        for image, shown in zip(candidates, view, strict=True):
            try:
                _remove(gateway, image)
                removed.append(shown)
            except SdmdError as exc:  # one refusal (a container created meanwhile) does not stop the rest
                reason = f"{exc.message}: {exc.details}" if exc.details else exc.message
                skipped.append({"id": image["id"], "reason": reason})
        audit.details.update({"removed": len(removed), "size": sum(i["size"] for i in removed),
                              "ids": [i["id"] for i in removed][:100], "skipped": len(skipped)})
    result.update(images=removed, size=sum(i["size"] for i in removed), skipped=skipped)
    return result
