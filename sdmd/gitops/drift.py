"""Drift: the compose file vs the database mirror vs the containers Docker is running.

Pure functions over one /containers/json listing and the hashes kept per file version, so the
service list can report drift without inspecting containers or running compose.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sdmd.docker.gateway import CONFIG_HASH_LABEL, SERVICE_LABEL

ONEOFF_LABEL = "com.docker.compose.oneoff"

IN_SYNC = "in_sync"
CHANGED = "changed"
MISSING = "missing"


def _name(container: dict[str, Any]) -> str:
    names = container.get("Names") or []
    return names[0].lstrip("/") if names else container["Id"][:12]


def compute(*, file_hash: str | None, mirror_hash: str | None, expected: dict[str, Any] | None,
            compared_with: str | None, containers: list[dict[str, Any]]) -> dict[str, Any]:
    """`expected` is {service: {"hash", "image"}} for the file (or, failing that, the mirror)."""
    file_state = MISSING if file_hash is None else IN_SYNC if file_hash == mirror_hash else CHANGED
    items: list[dict[str, Any]] = []
    by_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in containers:
        labels = c.get("Labels") or {}
        if labels.get(ONEOFF_LABEL) == "True":  # `docker compose run` containers are not the stack
            continue
        by_service[labels.get(SERVICE_LABEL) or ""].append(c)

    def add(kind: str, service: str | None, container: dict[str, Any] | None, detail: str) -> None:
        items.append({"kind": kind, "service": service, "container": _name(container) if container else None,
                      "detail": detail})

    if expected is not None:
        for service in expected:
            if service not in by_service:
                add("missing", service, None, "no container for this service")
        for service, found in sorted(by_service.items()):
            if service not in expected:
                for c in found:
                    add("extra", service, c, "the file has no such service")
    for service, found in sorted(by_service.items()):
        want = (expected or {}).get(service) or {}
        for c in found:
            labels = c.get("Labels") or {}
            if c.get("State") != "running":
                add("stopped", service, c, f"{c.get('State')}: {c.get('Status')}")
            if want.get("hash") and labels.get(CONFIG_HASH_LABEL) != want["hash"]:
                add("config", service, c, "created from a different definition than the file's")
            image = c.get("Image") or ""
            if want.get("image") and image != want["image"]:
                if image.startswith("sha256:"):
                    add("image", service, c, f"runs an older image than {want['image']} now names")
                else:
                    add("image", service, c, f"runs {image}, the file says {want['image']}")
    return {
        "drifted": file_state != IN_SYNC or bool(items),
        "file": file_state,
        "compared_with": compared_with if expected is not None else None,
        "items": items,
    }


def hashes_from_labels(model: dict[str, Any], containers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What compute_service_hashes (gitops/context.py) gives, read off the containers `compose up` just
    made from `model` (compose's normalised model): up labels each container with its service's config
    hash, the very label drift compares, so no compose call is needed. None when a service of the model
    has no container (scale 0, say) or its containers disagree: then only compose can say."""
    found: dict[str, set[str]] = {}
    for container in containers:
        labels = container.get("Labels") or {}
        if labels.get(ONEOFF_LABEL) == "True":
            continue
        digest = labels.get(CONFIG_HASH_LABEL)
        if digest:
            found.setdefault(labels.get(SERVICE_LABEL) or "", set()).add(digest)
    services = model.get("services") or {}
    if not services or any(len(found.get(service, ())) != 1 for service in services):
        return None
    return {service: {"hash": next(iter(found[service])), "image": (spec or {}).get("image")}
            for service, spec in services.items()}


def expected_for(row: Any, file_hash: str | None, mirror_hash: str | None) -> tuple[dict | None, str | None]:
    """The kept hashes if they describe the file (or the mirror when the file's are not known yet)."""
    if row is None or not row.service_hashes:
        return None, None
    if file_hash is not None and row.hashes_for == file_hash:
        return row.service_hashes, "file"
    if row.hashes_for == mirror_hash:
        return row.service_hashes, "mirror"
    return None, None
