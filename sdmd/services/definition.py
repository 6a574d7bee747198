"""Service definitions: the API's JSON forms turned into compose documents, and compose YAML read safely.

A service is a compose document. It arrives as
- single-container shorthand: {"name": "web", "image": ..., "ports": [...]}
- multi-container: {"name": "app", "services": {"web": {...}, "db": {...}}, "volumes": {...}}
- a raw compose file (application/yaml), named by its top-level `name:` or ?name=.
`name` is the stack's name (its folder, passed to compose as -p); it is not written into the file.
sdmd checks only what it must (the stack name, the document's shape); `docker compose config` judges
the rest, so sdmd never refuses a file compose would run. Edits go through editing.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from sdmd.errors import InvalidInput
from sdmd.services import yamltree

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
NAME_MAX = 63
RESTART_RE = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
# compose's own top-level keys (compose-spec), plus x-* extensions
TOP_LEVEL_KEYS = {"version", "name", "services", "volumes", "networks", "configs", "secrets", "include", "models"}


def validate_name(name: Any, what: str = "name") -> str:
    if not isinstance(name, str) or not name:
        raise InvalidInput("invalid service name", f"{what} is required")
    if len(name) > NAME_MAX or not NAME_RE.match(name):
        raise InvalidInput(
            "invalid service name",
            f"{what} {name!r} must match ^[a-z0-9][a-z0-9_-]*$ and be at most {NAME_MAX} characters",
        )
    return name


class ContainerSpec(BaseModel):
    """The seed's keys, typed; any other compose key passes through to compose's own validation."""

    model_config = ConfigDict(extra="allow", strict=False)

    image: str | None = None
    container_name: str | None = None
    environment: dict[str, str | int | float | bool | None] | list[str] | None = None
    volumes: list[str | dict[str, Any]] | None = None
    ports: list[str | int | dict[str, Any]] | None = None
    restart: str | None = None
    depends_on: list[str] | dict[str, dict[str, Any]] | None = None

    @field_validator("image")
    @classmethod
    def _image(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c.isspace() for c in value)):
            raise ValueError("must be an image reference without spaces")
        return value

    @field_validator("restart")
    @classmethod
    def _restart(cls, value: str | None) -> str | None:
        if value is not None and "$" not in value and not RESTART_RE.match(value):
            raise ValueError("must be no, always, unless-stopped or on-failure[:N]")
        return value


def _container(spec: Any, path: str) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        raise InvalidInput("invalid service definition", f"{path} must be an object")
    try:
        model = ContainerSpec.model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if not isinstance(p, int) or True)
        raise InvalidInput("invalid service definition", f"{path}.{loc}: {err['msg']}") from exc
    if model.image is None and "build" not in spec and "extends" not in spec:
        raise InvalidInput("invalid service definition", f"{path}.image is required (or build, or extends)")
    # Keep what the caller sent, in the caller's order; the model only checked it.
    return dict(spec)


def document_from_json(body: Any, name: str | None) -> tuple[str, dict[str, Any]]:
    """Either JSON form → (stack name, compose document). The document has no `name:` of its own."""
    if not isinstance(body, Mapping):
        raise InvalidInput("invalid service definition", "the body must be a JSON object")
    body = dict(body)
    body_name = body.pop("name", None)
    name = validate_name(body_name if body_name is not None else name)
    doc = body if "services" in body else {"services": {name: body}}
    check_document(doc, name)
    declare_named_volumes(doc)
    return name, doc


def check_document(doc: Any, name: str) -> None:
    """What sdmd itself must know of a compose document; compose's own validation does the rest."""
    if not isinstance(doc, Mapping):
        raise InvalidInput("invalid service definition", "the compose document must be an object")
    services = doc.get("services")
    if not isinstance(services, Mapping) or not services:
        raise InvalidInput("invalid service definition", "services must be a non-empty object")
    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS and not str(k).startswith("x-")]
    if unknown:
        raise InvalidInput("invalid service definition", f"unknown top-level keys: {', '.join(sorted(unknown))}")
    if doc.get("name") is not None and str(doc["name"]) != name:
        raise InvalidInput("renaming a service is not supported",
                           f"the document says name: {doc['name']}, the service is {name}")
    for key, spec in services.items():
        if not isinstance(key, str) or not key:
            raise InvalidInput("invalid service definition", "service names must be non-empty strings")
        _container(spec, f"services.{key}")


def warnings_for(text: str | None) -> list[str]:
    """What compose accepts but the person should know (returned beside the file, never refused)."""
    if text and _VERSION_KEY.search(text):
        return ["the top-level `version:` is obsolete: compose ignores it (and warns); it can be removed"]
    return []


_VERSION_KEY = re.compile(r"^\ufeff?[\"']?version[\"']?[ \t]*:", re.MULTILINE)


def declare_named_volumes(doc: dict[str, Any]) -> None:
    """Compose refuses a named volume that is not declared at the top level; declare it for the user."""
    named: list[str] = []
    for spec in (doc.get("services") or {}).values():
        for vol in (spec or {}).get("volumes") or []:
            source = vol.split(":", 1)[0] if isinstance(vol, str) and ":" in vol else None
            if isinstance(vol, Mapping) and vol.get("type") == "volume":
                source = vol.get("source")
            if source and not source.startswith((".", "/", "~", "$")) and source not in named:
                named.append(source)
    if named:
        declared = doc.get("volumes")
        if declared is None:
            declared = doc["volumes"] = {}
        for vol in named:
            if vol not in declared:
                declared[vol] = None


# -- reading YAML --------------------------------------------------------------------------

def parse_yaml(text: str, max_nodes: int = yamltree.DEFAULT_MAX_NODES) -> dict[str, Any]:
    """What a compose file means (aliases and merge keys resolved), bounded before anything expands it;
    it must be a mapping with a non-empty `services` mapping."""
    lf = text.removeprefix("\ufeff").replace("\r\n", "\n")
    doc = yamltree.meaning(yamltree.parse(lf, max_nodes).root)
    if not isinstance(doc, dict):
        raise InvalidInput("invalid compose file", "the top level must be a mapping")
    if not isinstance(doc.get("services"), Mapping) or not doc["services"]:
        raise InvalidInput("invalid compose file", "services must be a non-empty mapping")
    return doc


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def plain(node: Any) -> Any:
    """A round-trip tree as plain dicts, lists and scalars."""
    if isinstance(node, Mapping):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
