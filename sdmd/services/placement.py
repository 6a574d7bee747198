"""Which host a service runs on: the top-level `x-sdmd: {host: <name>}` of its compose.yaml.

The assignment lives in the stacks repository, so a folder added by hand lands on the same host
every time, and plain `docker compose` ignores `x-` keys (the file stays runnable; neither the key
nor its value changes compose's config hash, so editing it never recreates a container by itself).
No key, or no `x-sdmd`, means `local`. The database mirror keeps a copy in `docker_service_configs.host`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sdmd.errors import InvalidInput
from sdmd.services.definition import NAME_MAX, NAME_RE, parse_yaml
from sdmd.services.editing import apply_merge_patch
from sdmd.services.yamltree import DEFAULT_MAX_NODES

EXTENSION = "x-sdmd"
HOST_KEY = "host"
LOCAL = "local"


def validate_host_name(value: Any, what: str = "x-sdmd.host") -> str:
    if not isinstance(value, str) or len(value) > NAME_MAX or not NAME_RE.match(value):
        raise InvalidInput("invalid host", f"{what} must be a host name (^[a-z0-9][a-z0-9_-]*$), got {value!r}")
    return value


def host_of(doc: Mapping[str, Any]) -> str:
    """The host a compose document names (validated), `local` when it names none."""
    extension = doc.get(EXTENSION)
    if extension is None:
        return LOCAL
    if not isinstance(extension, Mapping):
        raise InvalidInput("invalid compose file", f"{EXTENSION} must be a mapping, e.g. {EXTENSION}: {{host: web1}}")
    value = extension.get(HOST_KEY)
    return LOCAL if value is None else validate_host_name(value)


def host_of_text(text: str, max_nodes: int = DEFAULT_MAX_NODES) -> str:
    return host_of(parse_yaml(text, max_nodes))


def host_of_text_or_local(text: str | None) -> str:
    """For files that may be invalid (a mirror written before validation existed): never raises."""
    try:
        return host_of_text(text) if text else LOCAL
    except InvalidInput:
        return LOCAL


def check_json_host(doc: Mapping[str, Any], host: str | None) -> None:
    """The JSON forms' `host` and an x-sdmd.host given in the same body must agree."""
    extension = doc.get(EXTENSION)
    if extension is not None and not isinstance(extension, Mapping):
        raise InvalidInput("invalid service definition", f"{EXTENSION} must be an object")
    if host is not None and extension is not None and extension.get(HOST_KEY) not in (None, host):
        raise InvalidInput("invalid service definition",
                           f"host {host!r} and {EXTENSION}.host {extension[HOST_KEY]!r} disagree")


def with_json_host(document: Mapping[str, Any], current: Mapping[str, Any] | None, host: str | None) -> dict[str, Any]:
    """The document a JSON create/update writes. An x-sdmd the body does not give is the file's own (a JSON
    update that says nothing of the host does not move the service); `host` sets x-sdmd.host, and `local`
    removes it (no key means local). A new file gets its x-sdmd first, where a reader looks."""
    doc = dict(document)
    if EXTENSION not in doc and current is not None and EXTENSION in current:
        doc[EXTENSION] = current[EXTENSION]
    if host is None:
        return doc
    extension = dict(doc.get(EXTENSION) or {}) if isinstance(doc.get(EXTENSION), Mapping) else {}
    if host == LOCAL:
        extension.pop(HOST_KEY, None)
    else:
        extension[HOST_KEY] = host
    doc.pop(EXTENSION, None)
    if not extension:
        return doc
    if current is None:
        return {EXTENSION: extension, **doc}
    doc[EXTENSION] = extension
    return doc


def with_host(text: str, host: str, max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """`text` with x-sdmd.host set to `host` (removed for `local`): a minimal edit through
    apply_merge_patch, every other byte kept."""
    extension = parse_yaml(text, max_nodes).get(EXTENSION)
    if host == LOCAL:
        if not isinstance(extension, Mapping) or HOST_KEY not in extension:
            return text
        patch: dict[str, Any] = {EXTENSION: None} if set(extension) == {HOST_KEY} else {EXTENSION: {HOST_KEY: None}}
    else:
        patch = {EXTENSION: {HOST_KEY: validate_host_name(host, "host")}}
    return apply_merge_patch(text, patch, max_nodes=max_nodes)
