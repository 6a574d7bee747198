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
from sdmd.services.definition import NAME_MAX, NAME_RE, parse_yaml, plain
from sdmd.services.editing import apply_merge_patch

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


def host_of_text(text: str) -> str:
    return host_of(plain(parse_yaml(text)))


def host_of_text_or_local(text: str | None) -> str:
    """For files that may be invalid (a mirror written before validation existed): never raises."""
    try:
        return host_of_text(text) if text else LOCAL
    except InvalidInput:
        return LOCAL


def apply_json_host(doc: dict[str, Any], host: Any) -> None:
    """The JSON forms' `host` field becomes x-sdmd.host (an explicit x-sdmd in the body is kept beside it)."""
    if host is None:
        return
    host = validate_host_name(host, "host")
    extension = doc.get(EXTENSION)
    if extension is not None and not isinstance(extension, Mapping):
        raise InvalidInput("invalid service definition", f"{EXTENSION} must be an object")
    merged = dict(extension or {})
    if merged.get(HOST_KEY) not in (None, host):
        raise InvalidInput("invalid service definition",
                           f"host {host!r} and {EXTENSION}.host {merged[HOST_KEY]!r} disagree")
    merged[HOST_KEY] = host
    doc[EXTENSION] = merged


def carry_over(doc: dict[str, Any], previous_text: str | None) -> None:
    """A JSON update that says nothing about x-sdmd keeps the file's (so it does not move the service)."""
    if EXTENSION in doc or not previous_text:
        return
    previous = plain(parse_yaml(previous_text))
    if EXTENSION in previous:
        doc[EXTENSION] = previous[EXTENSION]


def with_host(text: str, host: str) -> str:
    """`text` with x-sdmd.host set to `host` (removed for `local`): a minimal edit, every other byte kept."""
    extension = plain(parse_yaml(text)).get(EXTENSION)
    if host == LOCAL:
        if not isinstance(extension, Mapping) or HOST_KEY not in extension:
            return text
        patch: dict[str, Any] = {EXTENSION: None} if set(extension) == {HOST_KEY} else {EXTENSION: {HOST_KEY: None}}
    else:
        patch = {EXTENSION: {HOST_KEY: validate_host_name(host, "host")}}
    return apply_merge_patch(text, patch)
