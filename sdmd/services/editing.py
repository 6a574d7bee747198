"""Minimal edits of compose files: make a file mean a new document while changing only what differs.

    apply_document(text, document) -> text   the file, made to mean `document`
    apply_merge_patch(text, patch) -> text   RFC 7396 applied to the file's meaning, then the same

How: the file is parsed into a positioned tree (yamltree.py); its meaning is compared with the new
document node by node, and each difference becomes a splice of the exact source span of the node that
changed (a scalar's characters, an entry's lines, a new entry's lines after its last sibling). Nothing
else is re-emitted, so comments, quoting, flow or block style, indentation, blank lines, trailing
spaces, key order, anchors, aliases and merge keys stay byte for byte. A node shared through an
anchor is never changed for one of its users: that user gets its own copy (or, for a mapping, an
override beside a `<<:` merge key). The result is parsed again and must mean exactly the document;
otherwise the edit is refused (422) and nothing is written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from sdmd.errors import InvalidInput
from sdmd.services.splicing import Splicer
from sdmd.services.yamltree import DEFAULT_MAX_NODES, meaning, parse, same

BOM = "\ufeff"


@dataclass
class EditResult:
    text: str
    notes: list[str] = field(default_factory=list)  # places whose formatting could not be kept


def apply_document(text: str, document: dict[str, Any], *, max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """`text` changed as little as possible so that it means `document` (422 InvalidInput if it cannot)."""
    return edit(text, document, max_nodes=max_nodes).text


def apply_merge_patch(text: str, patch: dict[str, Any], *, max_nodes: int = DEFAULT_MAX_NODES) -> str:
    """RFC 7396: `patch` merged into the file's meaning (null removes a key), written as a minimal edit."""
    return edit_with_patch(text, patch, max_nodes=max_nodes).text


def edit_with_patch(text: str, patch: Any, *, max_nodes: int = DEFAULT_MAX_NODES) -> EditResult:
    patched = merge_patch(document_of(text, max_nodes=max_nodes), patch)
    if not isinstance(patched, dict):
        raise InvalidInput("invalid merge patch", "the patched document must stay a mapping")
    return edit(text, patched, max_nodes=max_nodes)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 MergePatch(target, patch), on copies."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def document_of(text: str, *, max_nodes: int = DEFAULT_MAX_NODES) -> Any:
    """What a file means, as JSON would carry it: aliases and merge keys resolved."""
    return meaning(parse(_normalise(text)[0], max_nodes).root)


def edit(text: str, document: dict[str, Any], *, max_nodes: int = DEFAULT_MAX_NODES) -> EditResult:
    lf, bom, crlf = _normalise(text)
    tree = parse(lf, max_nodes)
    memo: dict[int, Any] = {}
    if same(meaning(tree.root, None, memo), document):
        return EditResult(text)  # exactly the bytes it had
    # A new `|` block takes in the deeper-indented comment lines that follow it; if that made the result
    # mean something else, the multi-line strings are written double-quoted instead.
    for literal_blocks in (True, False):
        editor = Splicer(tree, literal_blocks=literal_blocks, memo=memo)
        try:
            new_lf = editor.run(document)
            if same(meaning(parse(new_lf, max_nodes).root), document):
                break
        except InvalidInput:
            continue  # the splices overlapped, or the result did not parse
    else:
        raise InvalidInput("the edit could not be made faithfully",
                           "the edited file would not mean the document sent; nothing was written")
    if crlf:
        new_lf = _restore_line_ends(text.removeprefix(BOM), lf, new_lf)
    return EditResult((BOM if bom else "") + new_lf, editor.notes)


def _normalise(text: str) -> tuple[str, bool, bool]:
    """The text without BOM and with \\n line ends, and whether it had a BOM / CRLF."""
    bom = text.startswith(BOM)
    body = text.removeprefix(BOM)
    lf = body.replace("\r\n", "\n")
    return lf, bom, lf != body


def _restore_line_ends(original: str, old_lf: str, new_lf: str) -> str:
    """Lines that did not change keep their own line end; new lines get the file's usual one."""
    old_raw = original.split("\n")
    old = old_lf.split("\n")
    new = new_lf.split("\n")
    crlf_lines = sum(1 for line in old_raw[:-1] if line.endswith("\r"))
    usual = crlf_lines * 2 >= len(old_raw) - 1
    pieces: list[tuple[str, bool | None]] = []  # a line and whether its end is CRLF (None: the usual)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            pieces.extend((line, None) for line in new[j1:j2])
            continue
        for k in range(i1, i2):
            raw = old_raw[k]
            if k == len(old_raw) - 1:
                pieces.append((raw, None))  # the old last piece had no line end of its own
            else:
                pieces.append((raw[:-1], True) if raw.endswith("\r") else (raw, False))
    out = [line + ("\r" if (usual if crlf is None else crlf) else "") for line, crlf in pieces[:-1]]
    out.append(pieces[-1][0] if pieces else "")
    return "\n".join(out)
