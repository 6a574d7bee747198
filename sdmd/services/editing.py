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
import dataclasses
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from sdmd.errors import InvalidInput
from sdmd.services.rendering import (
    block_lines,
    detect_style,
    document_text,
    entry_lines,
    flow_text,
    inline_text,
    is_inline,
    item_lines,
    key_text,
    literal_block,
    scalar_text,
    sibling_style,
    value_lines,
)
from sdmd.services.yamltree import (
    DEFAULT_MAX_NODES,
    Alias,
    Mapping,
    Node,
    Scalar,
    Sequence,
    Tree,
    fingerprint,
    is_merge_key,
    meaning,
    merge_sources,
    parse,
    same,
    skip_properties,
)
from sdmd.services.yamltree import key_text as node_key

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
    if same(meaning(tree.root), document):
        return EditResult(text)  # exactly the bytes it had
    editor = _Editor(tree)
    new_lf = editor.run(document)
    got = meaning(parse(new_lf, max_nodes).root)
    if not same(got, document):
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


class _Unsupported(Exception):
    """A construct this editor cannot splice minimally; the enclosing node is rewritten instead."""


@dataclass(frozen=True)
class _Place:
    kind: str  # "root", "value" (of a block mapping entry), "item" (of a block sequence), "flow"
    col: int = 0  # value: the key's column; item: the dash's column
    colon: int = -1  # value: where the entry's ':' is
    dash: int = -1  # item: where the item's '-' is
    path: str = ""


class _Editor:
    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.text = tree.text
        self.lines = tree.lines
        self.style = detect_style(tree)
        self.edits: list[tuple[int, int, int, str]] = []
        self.known: dict[int, Any] = {}  # id(node) -> its meaning after the edits so far
        self._memo: dict[int, Any] = {}
        self.notes: list[str] = []

    # -- driver --------------------------------------------------------------------------------
    def run(self, document: dict[str, Any]) -> str:
        root = self.tree.root
        if root is None or (isinstance(root, Scalar) and root.empty):
            prefix = self.text if not self.text or self.text.endswith("\n") else self.text + "\n"
            return prefix + document_text(document, self.style)
        self.sync(root, document, _Place("root"))
        return self._apply()

    def _apply(self) -> str:
        out: list[str] = []
        pos = 0
        for start, end, _, text in sorted(self.edits):
            if start < pos:
                raise InvalidInput("the edit could not be made faithfully", "overlapping changes; nothing was written")
            out.append(self.text[pos:start])
            out.append(text)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)

    def splice(self, start: int, end: int, text: str) -> None:
        self.edits.append((start, end, len(self.edits), text))

    def insert_lines(self, pos: int, lines: list[str]) -> None:
        """Whole lines at a line start `pos` (or at the end of a text that lacks its last line end)."""
        body = "\n".join(lines)
        if pos >= len(self.text) and self.text and not self.text.endswith("\n"):
            self.splice(len(self.text), len(self.text), "\n" + body)
        else:
            self.splice(pos, pos, body + "\n")

    def delete_lines(self, first: int, last: int) -> None:
        start, end = self.lines.start(first), self.lines.after(last)
        if end >= len(self.text) and not self.text.endswith("\n") and start > 0:
            start -= 1  # keep the file without a last line end, as it was
        self.splice(start, end, "")

    def cur(self, node: Node) -> Any:
        if self.known:
            return meaning(node, self.known)
        got = self._memo.get(id(node), self)
        if got is self:
            got = self._memo[id(node)] = meaning(node)
        return got

    def col(self, pos: int) -> int:
        return self.lines.column(pos)

    # -- one node ----------------------------------------------------------------------------
    def sync(self, node: Node, desired: Any, place: _Place) -> None:
        if same(self.cur(node), desired):
            return
        mark = len(self.edits)
        try:
            self._sync(node, desired, place)
        except _Unsupported:
            del self.edits[mark:]
            self.notes.append(f"{place.path or 'the file'} was rewritten: its layout could not be kept")
            self.replace(node, desired, place)
        self.known[id(node)] = desired

    def _sync(self, node: Node, desired: Any, place: _Place) -> None:
        if isinstance(node, Alias):
            self.replace_alias(node, desired, place)
        elif isinstance(node, Mapping) and isinstance(desired, dict) and desired and node.pairs:
            if node.flow or place.kind == "flow":
                self.sync_flow_mapping(node, desired, place)
            else:
                self.sync_block_mapping(node, desired, place)
        elif isinstance(node, Sequence) and isinstance(desired, list) and desired and node.items:
            if node.flow or place.kind == "flow":
                self.sync_flow_sequence(node, desired, place)
            else:
                self.sync_block_sequence(node, desired, place)
        elif isinstance(node, Scalar) and is_inline(desired) and not isinstance(desired, dict | list) \
                and not node.empty:
            self.replace_scalar(node, desired, place)
        else:
            self.replace(node, desired, place)

    def replace_scalar(self, node: Scalar, desired: Any, place: _Place) -> None:
        prefix = f"&{node.anchor} " if node.anchor else ""
        if node.style in ("|", ">") and isinstance(desired, str) and place.kind != "flow":
            header = self.lines.of(node.start)
            indent = self.lines.indent(header + 1) if header + 1 < self.lines.count else place.col + 2
            block = literal_block(desired, indent)
            if block is not None:
                self.splice(node.start, node.end, prefix + "\n".join(block))
                return
        quote = node.style if node.style in ('"', "'") else None
        text = scalar_text(desired, style=quote, fallback_quote=self.style.quote, flow=place.kind == "flow")
        self.splice(node.start, node.end, prefix + text)

    def replace_alias(self, node: Alias, desired: Any, place: _Place) -> None:
        """A user of a shared node changed: give it an override beside `<<:`, or its own copy."""
        assert node.target is not None
        target = self.cur(node.target)
        if (place.kind in ("value", "item") and isinstance(desired, dict) and isinstance(target, dict)
                and target.keys() <= desired.keys()):
            overrides = {k: v for k, v in desired.items() if k not in target or not same(target[k], v)}
            col = self._child_col(place)
            lines = [" " * col + f"<<: *{node.anchor}"]
            for key, value in overrides.items():
                lines.extend(entry_lines(key, value, col, self.style))
            self.put_block(node, lines, place)
            return
        self.replace(node, desired, place)

    def _child_col(self, place: _Place) -> int:
        if place.kind == "item":
            return place.col + self.style.seq_gap
        return place.col + self.style.map_indent if place.kind == "value" else 0

    def replace(self, node: Node, desired: Any, place: _Place) -> None:
        """Rewrite one node from the document (its inner comments go with it); its anchor stays."""
        anchor = f"&{node.anchor}" if node.anchor and not isinstance(node, Alias) else ""
        if place.kind == "flow":
            self.splice(node.start, node.end, (anchor + " " if anchor else "") + flow_text(desired, self.style.quote))
            return
        if is_inline(desired) and not (isinstance(desired, str) and "\n" in desired):
            text = inline_text(desired, self.style)
            self.put_inline(node, (anchor + " " if anchor else "") + text, place)
            return
        if isinstance(desired, str):  # several lines: a literal block when it reads back, else quoted
            block = literal_block(desired, self._child_col(place))
            text = "\n".join(block) if block else inline_text(desired, self.style)
            self.put_inline(node, (anchor + " " if anchor else "") + text, place)
            return
        if place.kind == "root":
            col = self.col(node.start)
            self.splice(node.start, node.end, "\n".join(block_lines(desired, col, self.style))[col:])
            return
        if place.kind == "item":
            lines = item_lines(desired, place.col, self.style)
            if anchor:
                lines = [" " * place.col + "- " + anchor, *block_lines(desired, self._child_col(place), self.style)]
            self.put_item_block(node, lines, place)
            return
        lines = value_lines(desired, place.col, self.style)
        self.put_block(node, lines, place, anchor)

    # -- writing a value in place ---------------------------------------------------------------
    def _content_start(self, node: Node) -> int:
        return skip_properties(self.text, node.start) if (node.anchor and not isinstance(node, Alias)) or \
            node.tag else node.start

    def _on_own_lines(self, node: Node, place: _Place) -> bool:
        """A block collection that starts on a line after its key's (or its dash's)."""
        anchor_line = self.lines.of(place.colon if place.kind == "value" else place.dash)
        return self.lines.of(self._content_start(node)) > anchor_line

    def put_inline(self, node: Node, text: str, place: _Place) -> None:
        if place.kind == "root" or (isinstance(node, Scalar) and node.empty) or not self._on_own_lines(node, place):
            self.splice(node.start, node.end, text if node.start != node.end else " " + text)
            return
        # a block collection below its key: the value moves up onto the key's line, its lines go
        head = place.colon if place.kind == "value" else place.dash
        if self.lines.of(node.start) == self.lines.of(head):
            self.splice(node.start, self._properties_end(node), text)  # `key: &a` keeps its place
        else:
            self.splice(head + 1, head + 1, " " + text)
        self.delete_lines(self.lines.of(self._content_start(node)), self.lines.of(node.end - 1))

    def _properties_end(self, node: Node) -> int:
        pos = node.start
        while pos < len(self.text) and self.text[pos] in "&!":
            while pos < len(self.text) and self.text[pos] not in " \t\n":
                pos += 1
            while pos < len(self.text) and self.text[pos] in " \t":
                pos += 1
        return pos

    def put_block(self, node: Node, lines: list[str], place: _Place, anchor: str = "") -> None:
        """A block collection as the value of a mapping entry, on the lines below its key."""
        if place.kind == "item":
            first = lines[0][place.col + self.style.seq_gap:] if lines else ""
            self.put_item_block(node, [" " * place.col + "-" + " " * (self.style.seq_gap - 1) + first, *lines[1:]],
                                place)
            return
        if (isinstance(node, Scalar) and node.empty) or not self._on_own_lines(node, place):
            end = node.end if not (isinstance(node, Scalar) and node.empty) else node.start
            self.splice(place.colon + 1, end, " " + anchor if anchor else "")
            self.insert_lines(self.lines.after(self.lines.of(max(end - 1, place.colon))), lines)
            return
        first = self.lines.of(self._content_start(node))
        self.splice(self.lines.start(first), node.end, "\n".join(lines))

    def put_item_block(self, node: Node, lines: list[str], place: _Place) -> None:
        """A block collection as a sequence item: its first line goes after the existing dash."""
        if self.text[self.lines.start(self.lines.of(place.dash)):place.dash].strip(" "):
            raise _Unsupported("a compact nested sequence")
        end = node.end if not (isinstance(node, Scalar) and node.empty) else node.start
        self.splice(place.dash, end, "\n".join([lines[0][place.col:], *lines[1:]]))

    # -- block mappings --------------------------------------------------------------------------
    def sync_block_mapping(self, node: Mapping, desired: dict[str, Any], place: _Place) -> None:
        explicit: dict[str, int] = {}
        merges: list[int] = []
        for i, (key, _) in enumerate(node.pairs):
            if is_merge_key(key):
                merges.append(i)
            else:
                explicit[node_key(key)] = i
        merged: dict[str, Any] = {}
        for i in merges:
            for source in merge_sources(node.pairs[i][1]):
                for k, v in self.cur(source).items():
                    merged.setdefault(k, v)
        removed = {i for name, i in explicit.items() if name not in desired}
        keep_merges = bool(merges) and all(k in desired for k in merged)
        if merges and not keep_merges:
            removed.update(merges)  # a merged key must go: the merge is written out instead
        additions = {k: v for k, v in desired.items() if k not in explicit
                     and not (keep_merges and k in merged and same(merged[k], v))}
        kept = [i for i in range(len(node.pairs)) if i not in removed]
        if not kept:
            self.replace(node, desired, place)
            return
        for name, i in explicit.items():
            if name in desired:
                key = node.pairs[i][0]
                self.sync(node.pairs[i][1], desired[name],
                          _Place("value", col=self.col(key.start), colon=node.colons[i], path=f"{place.path}.{name}"))
        if removed:
            self.remove_entries(node, sorted(removed))
        if additions:
            self.add_entries(node, kept[-1], additions)

    def _entry_last_line(self, node: Mapping, i: int) -> int:
        key, value = node.pairs[i]
        end = max(value.end, node.colons[i] + 1)
        return self._trailing_comments(self.lines.of(end - 1), self.col(key.start))

    def _trailing_comments(self, line: int, col: int) -> int:
        """Past the comment lines right below `line` that are indented deeper than `col` (they are inside it)."""
        while line + 1 < self.lines.count and self.lines.kind(line + 1) == "comment" \
                and self.lines.indent(line + 1) > col:
            line += 1
        return line

    def _leading_comments(self, line: int, col: int) -> int:
        """The first of the comment lines directly above `line` at column `col` (they introduce it)."""
        while line > 0 and self.lines.kind(line - 1) == "comment" and self.lines.indent(line - 1) == col:
            line -= 1
        return line

    def remove_entries(self, node: Mapping, indices: list[int]) -> None:
        doomed: set[int] = set()
        skip: set[int] = set()
        for i in indices:
            if i in skip:
                continue
            key = node.pairs[i][0]
            line = self.lines.of(key.start)
            if self.text[self.lines.start(line):key.start].strip(" "):
                # the first key of `- key: v`: the next kept key moves up onto the dash's line
                later = [j for j in range(i + 1, len(node.pairs)) if j not in indices]
                if not later:
                    raise _Unsupported("removing the key that shares its line")
                self.splice(key.start, node.pairs[later[0]][0].start, "")
                skip.update(range(i + 1, later[0]))
                continue
            col = self.col(key.start)
            first = self._leading_comments(line, col)
            last = self._entry_last_line(node, i)
            doomed.update(range(first, last + 1))
            self._tidy_blanks(doomed, first, last, col, is_first=i == 0)
        self._delete_line_set(doomed)

    def _tidy_blanks(self, doomed: set[int], first: int, last: int, col: int, is_first: bool) -> None:
        """Removing a paragraph takes one of the blank runs around it, so the spacing stays as it was."""
        lines = self.lines
        before, after = first - 1, last + 1
        blank_before = before >= 0 and lines.kind(before) == "blank"
        at_end = after >= lines.count or (lines.kind(after) == "content" and lines.indent(after) < col)
        blank_after = not at_end and lines.kind(after) == "blank"
        if blank_before and (blank_after or at_end):
            while before >= 0 and lines.kind(before) == "blank":
                doomed.add(before)
                before -= 1
        elif is_first and not blank_before and blank_after:
            while after < lines.count and lines.kind(after) == "blank":
                doomed.add(after)
                after += 1

    def _delete_line_set(self, doomed: set[int]) -> None:
        for first, last in _runs(sorted(doomed)):
            self.delete_lines(first, last)

    def add_entries(self, node: Mapping, last_kept: int, additions: dict[str, Any]) -> None:
        col = self.col(node.pairs[0][0].start)
        values = [v for k, v in node.pairs if not is_merge_key(k)]
        quote = sibling_style(values)
        lines: list[str] = []
        for key, value in additions.items():
            lines.extend(entry_lines(key, value, col, self.style, value_style=quote))
        self.insert_lines(self.lines.after(self._entry_last_line(node, last_kept)), lines)

    # -- block sequences -------------------------------------------------------------------------
    def sync_block_sequence(self, node: Sequence, desired: list[Any], place: _Place) -> None:
        old = [fingerprint(self.cur(item)) for item in node.items]
        new = [fingerprint(v) for v in desired]
        updates: list[tuple[int, Any]] = []
        removed: list[int] = []
        inserts: list[tuple[int, list[Any]]] = []  # before item i (len(items): at the end)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            updates.extend((i1 + k, desired[j1 + k]) for k in range(paired))
            removed.extend(range(i1 + paired, i2))
            if j2 - j1 > paired:
                inserts.append((i2, desired[j1 + paired:j2]))
        kept = [i for i in range(len(node.items)) if i not in removed]
        if not kept:
            self.replace(node, desired, place)
            return
        dash_col = self.col(node.dashes[0])
        for i, value in updates:
            self.sync(node.items[i], value, _Place("item", col=self.col(node.dashes[i]), dash=node.dashes[i],
                                                   path=f"{place.path}[{i}]"))
        if removed:
            doomed: set[int] = set()
            for i in removed:
                first, last = self._item_lines(node, i)
                doomed.update(range(first, last + 1))
            self._delete_line_set(doomed)
        if inserts:
            gap = self._item_gap(node)
            style = dataclasses.replace(self.style, seq_gap=gap)
            quote = sibling_style(node.items)
            for before, values in inserts:
                lines = [line for v in values for line in item_lines(v, dash_col, style, quote)]
                if before < len(node.items) and before in kept:
                    self.insert_lines(self.lines.start(self._item_lines(node, before)[0]), lines)
                elif any(i < before for i in kept):
                    last = self._item_lines(node, max(i for i in kept if i < before))[1]
                    self.insert_lines(self.lines.after(last), lines)
                else:
                    self.insert_lines(self.lines.start(self._item_lines(node, kept[0])[0]), lines)

    def _item_lines(self, node: Sequence, i: int) -> tuple[int, int]:
        dash = node.dashes[i]
        line = self.lines.of(dash)
        if self.text[self.lines.start(line):dash].strip(" "):
            raise _Unsupported("a sequence item that shares its line")
        col = self.col(dash)
        item = node.items[i]
        last = self._trailing_comments(self.lines.of(max(item.end, dash + 1) - 1), col)
        return self._leading_comments(line, col), last

    def _item_gap(self, node: Sequence) -> int:
        for dash, item in zip(node.dashes, node.items, strict=True):
            if not (isinstance(item, Scalar) and item.empty) and self.lines.of(item.start) == self.lines.of(dash):
                return max(2, item.start - dash)
        return self.style.seq_gap

    # -- flow collections: values change in place; a new or removed entry rewrites the brackets ----
    def sync_flow_mapping(self, node: Mapping, desired: dict[str, Any], place: _Place) -> None:
        names = [None if is_merge_key(k) else node_key(k) for k, _ in node.pairs]
        if None not in names and set(names) == set(desired):
            for (_, value), name in zip(node.pairs, names, strict=True):
                self.sync(value, desired[name], _Place("flow", path=f"{place.path}.{name}"))
            return
        pieces = []
        for name, value in desired.items():
            if name in names:
                key, old = node.pairs[names.index(name)]
                if same(self.cur(old), value):
                    pieces.append(self.text[key.start:old.end] if not (isinstance(old, Scalar) and old.empty)
                                  else self.text[key.start:key.end])
                    continue
            pieces.append(f"{key_text(name, self.style.quote)}: {flow_text(value, self.style.quote)}")
        self.splice(self._content_start(node), node.end, "{" + ", ".join(pieces) + "}")

    def sync_flow_sequence(self, node: Sequence, desired: list[Any], place: _Place) -> None:
        if len(desired) == len(node.items):
            for i, (item, value) in enumerate(zip(node.items, desired, strict=True)):
                self.sync(item, value, _Place("flow", path=f"{place.path}[{i}]"))
            return
        old = [fingerprint(self.cur(item)) for item in node.items]
        quote = sibling_style(node.items)
        pieces: list[str] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, [fingerprint(v) for v in desired],
                                                   autojunk=False).get_opcodes():
            if tag == "equal":
                pieces.extend(self.text[item.start:item.end] for item in node.items[i1:i2])
            else:
                pieces.extend(flow_text(v, self.style.quote, quote) for v in desired[j1:j2])
        self.splice(self._content_start(node), node.end, "[" + ", ".join(pieces) + "]")


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
