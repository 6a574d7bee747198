"""A requested change to a service's compose file, and what a dry run of it answers.

A change is a JSON document (applied as a minimal edit), a raw compose file (taken byte for byte), or
an RFC 7396 merge patch of the file's meaning. `preview` is the dry run: the text that would be
written, a unified diff against the file, and compose's verdict; it writes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sdmd.core import Core
from sdmd.errors import InvalidInput, NotFound
from sdmd.services import placement
from sdmd.services.definition import (
    check_document,
    content_hash,
    document_from_json,
    parse_yaml,
    validate_name,
    warnings_for,
)
from sdmd.services.editing import EditResult, document_of, edit, edit_with_patch
from sdmd.services.rendering import document_text
from sdmd.services.yamltree import DEFAULT_MAX_NODES
from sdmd.updates import policy as update_policy


@dataclass(frozen=True)
class Definition:
    """A requested change: a JSON document to apply minimally, raw compose text to take as is, or an
    RFC 7396 merge patch of the file's meaning."""

    name: str | None  # None: a patch, which names no service of its own
    document: dict[str, Any] | None = None
    raw_text: str | None = None
    patch: dict[str, Any] | None = None
    host: str | None = None  # the JSON forms' `host`: written as x-sdmd.host (None: the file's host stays)

    @classmethod
    def from_json(cls, body: Any, name: str | None = None) -> Definition:
        host = None
        if isinstance(body, dict) and "host" in body:  # beside `name`, not a container setting
            body = dict(body)
            host = placement.validate_host_name(body.pop("host"), "host")
        name, doc = document_from_json(body, name)
        placement.check_json_host(doc, host)
        return cls(name=name, document=doc, host=host)

    @classmethod
    def from_yaml(cls, text: str, name: str | None = None, *, max_nodes: int = DEFAULT_MAX_NODES) -> Definition:
        doc = parse_yaml(text, max_nodes)
        file_name = doc.get("name")
        if file_name is not None and name is not None and str(file_name) != name:
            raise InvalidInput("invalid service name", f"the file says name: {file_name}, the request {name}")
        return cls(name=validate_name(str(file_name) if file_name is not None else name), raw_text=text)

    @classmethod
    def from_patch(cls, patch: Any) -> Definition:
        if not isinstance(patch, dict):
            raise InvalidInput("invalid merge patch", "a merge patch of a compose file is a JSON object")
        return cls(name=None, patch=patch)

    def edit(self, name: str, previous: str | None, *, max_nodes: int = DEFAULT_MAX_NODES) -> EditResult:
        """The file text this definition makes of `previous` (None: a new file)."""
        if self.raw_text is not None:
            return EditResult(self.raw_text)
        if self.patch is not None:
            if previous is None:
                raise NotFound("compose file missing", f"{name} has no compose file to patch")
            result = edit_with_patch(previous, self.patch, max_nodes=max_nodes)
            check_document(document_of(result.text, max_nodes=max_nodes), name)
            return result
        assert self.document is not None
        if previous is None:
            return EditResult(document_text(placement.with_json_host(self.document, None, self.host)))
        current = document_of(previous, max_nodes=max_nodes)
        current = current if isinstance(current, dict) else {}
        document = placement.with_json_host(self.document, current, self.host)
        if "name" in current and "name" not in document:
            document = {**document, "name": current["name"]}  # a `name:` the file has stays (it was checked)
        return edit(previous, document, max_nodes=max_nodes)

    def text(self, previous_text: str | None) -> str:
        return self.edit(self.name or "", previous_text).text


def validate(core: Core, name: str, text: str) -> dict[str, Any]:
    """compose's own parser, run here (`compose config` never contacts a daemon, so any host's file is
    validated the same way, also while its host is down); x-sdmd.host must name a configured host.
    Returns compose's normalised model."""
    doc = parse_yaml(text, core.settings.yaml_max_nodes)
    update_policy.validate(doc)  # updates: x-sdmd tag policies
    host = placement.host_of(doc)
    if core.hosts.find(host) is None:
        raise InvalidInput("unknown host", f"x-sdmd.host names {host}, which is not configured (GET /api/hosts)")
    with core.stacks.candidate(name, text) as draft:
        try:
            return core.docker.compose_config(draft)
        except InvalidInput as exc:
            # Compose names the draft's temporary path; the person knows the file as stacks/<name>/compose.yaml.
            exc.details = (exc.details or "").replace(str(draft.compose_files[0]), f"{name}/compose.yaml")
            raise


def preview(core: Core, name: str, previous: str | None, result: EditResult) -> dict[str, Any]:
    """A dry run's answer: the text that would be written, its diff, compose's verdict (422 if invalid),
    and the host the file names."""
    validate(core, name, result.text)
    host = placement.host_of_text(result.text, core.settings.yaml_max_nodes)
    label = f"{name}/compose.yaml"
    diff = difflib.unified_diff((previous or "").splitlines(keepends=True), result.text.splitlines(keepends=True),
                                fromfile=f"a/{label}" if previous is not None else "/dev/null", tofile=f"b/{label}")
    return {"dry_run": True, "name": name, "compose": result.text, "diff": "".join(_terminated(diff)),
            "changed": result.text != previous, "file_hash": content_hash(result.text),
            "base_hash": content_hash(previous) if previous is not None else None,
            "warnings": warnings_for(result.text) + result.notes, "host": host}


def _terminated(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
