"""Service definitions: the API's JSON forms turned into compose documents, and round-trip YAML.

A service is a compose document. It arrives as
- single-container shorthand: {"name": "web", "image": ..., "ports": [...]}
- multi-container: {"name": "app", "services": {"web": {...}, "db": {...}}, "volumes": {...}}
- a raw compose file (application/yaml), named by its top-level `name:` or ?name=.
Edits are merged into the existing round-trip document so untouched comments, order and quoting stay.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from sdmd.errors import InvalidInput

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
NAME_MAX = 63
RESTART_RE = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")
TOP_LEVEL_KEYS = {"services", "volumes", "networks", "configs", "secrets", "x-sdmd"}


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
        if value is not None and not RESTART_RE.match(value):
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
    if model.image is None and "build" not in spec:
        raise InvalidInput("invalid service definition", f"{path}.image is required")
    # Keep what the caller sent, in the caller's order; the model only checked it.
    return dict(spec)


def document_from_json(body: Any, name: str | None) -> dict[str, Any]:
    """Turn either JSON form into a plain compose document (with `name:`)."""
    if not isinstance(body, Mapping):
        raise InvalidInput("invalid service definition", "the body must be a JSON object")
    body = dict(body)
    body_name = body.pop("name", None)
    name = validate_name(body_name if body_name is not None else name)
    if "services" in body:
        services = body.pop("services")
        if not isinstance(services, Mapping) or not services:
            raise InvalidInput("invalid service definition", "services must be a non-empty object")
        unknown = [k for k in body if k not in TOP_LEVEL_KEYS and not k.startswith("x-")]
        if unknown:
            raise InvalidInput("invalid service definition",
                               f"unknown top-level keys: {', '.join(sorted(unknown))}")
        doc: dict[str, Any] = {"name": name, "services": {}}
        for key, spec in services.items():
            validate_name(key, f"services.{key}")
            doc["services"][key] = _container(spec, f"services.{key}")
        doc.update(body)
    else:
        doc = {"name": name, "services": {name: _container(body, name)}}
    declare_named_volumes(doc)
    return doc


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


# -- round-trip YAML -----------------------------------------------------------------------

def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    return y


def parse_yaml(text: str) -> CommentedMap:
    try:
        doc = _yaml().load(text)
    except YAMLError as exc:
        raise InvalidInput("invalid compose file", f"YAML: {exc}") from exc
    if not isinstance(doc, CommentedMap):
        raise InvalidInput("invalid compose file", "the top level must be a mapping")
    if not isinstance(doc.get("services"), Mapping) or not doc["services"]:
        raise InvalidInput("invalid compose file", "services must be a non-empty mapping")
    return doc


def dump_yaml(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def merge(existing: Any, new: Any) -> Any:
    """Make `existing` equal to `new` while keeping every node (and its comments) that did not change."""
    if isinstance(existing, CommentedMap) and isinstance(new, Mapping):
        for key in [k for k in existing if k not in new]:
            del existing[key]
        for key, value in new.items():
            if key in existing:
                existing[key] = merge(existing[key], value)
            else:
                existing[key] = _to_commented(value)
        return existing
    if isinstance(existing, CommentedSeq) and isinstance(new, list | tuple):
        if _plain(existing) == list(new):
            return existing
        # Reuse matching items by position; a changed item is replaced.
        for i, value in enumerate(new):
            if i < len(existing):
                existing[i] = merge(existing[i], value)
            else:
                existing.append(_to_commented(value))
        del existing[len(new):]
        return existing
    if _plain(existing) == new and type(_plain(existing)) is type(new):
        return existing  # keeps quoting style of scalars
    return _to_commented(new)


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _to_commented(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _to_commented(v)
        return out
    if isinstance(value, list | tuple):
        return CommentedSeq(_to_commented(v) for v in value)
    return value


def render(doc: Mapping[str, Any], previous_text: str | None = None) -> str:
    """The compose text for `doc`, merged into the previous file when there is one."""
    if previous_text is None:
        return dump_yaml(_to_commented(doc))
    existing = _yaml().load(previous_text)
    if not isinstance(existing, CommentedMap):
        return dump_yaml(_to_commented(doc))
    return dump_yaml(merge(existing, doc))


def plain(doc: Any) -> Any:
    return _plain(doc)
