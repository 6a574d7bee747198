"""One JSON-schema rewrite shared by the OpenAPI document and the models that use it."""

from __future__ import annotations

from typing import Any


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of an `X | None` value with its null branch (and null default) dropped, for a value
    that may be absent but never null: a query parameter (a URL cannot carry a JSON null), or a field
    whose null the service refuses. Any other schema comes back as it was."""
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" not in schema or len(branches) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and not (k == "default" and v is None)}
    if len(branches) == 1:
        return {**branches[0], **rest}
    return {**rest, "anyOf": branches}
