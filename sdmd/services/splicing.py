"""The splicer: one node at a time, make the file's text mean the desired value with the fewest characters.

Changes are collected as (start, end, text) splices on the original text and applied at the end, so
every byte outside a splice stays. A node that cannot be spliced minimally (a rare layout) is rewritten
whole from the document, and a note says so.
"""

from __future__ import annotations

import dataclasses
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
    literal_block,
    scalar_text,
    value_lines,
)
from sdmd.services.splicing_collections import CollectionSplices, Place, Unsupported
from sdmd.services.yamltree import Alias, Mapping, Node, Scalar, Sequence, Tree, meaning, same, skip_properties

BROKEN = object()  # a meaning an edit broke: equal to nothing


def anchors_in(node: Node) -> set[str]:
    """Anchors defined in a subtree (aliases are not followed)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Alias):
            continue
        if n.anchor:
            found.add(n.anchor)
        if isinstance(n, Mapping):
            stack.extend(x for pair in n.pairs for x in pair)
        elif isinstance(n, Sequence):
            stack.extend(n.items)
    return found


def aliases_in(node: Node) -> set[str]:
    """Anchors the aliases of a subtree name."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Alias):
            found.add(n.anchor or "")
        elif isinstance(n, Mapping):
            stack.extend(x for pair in n.pairs for x in pair)
        elif isinstance(n, Sequence):
            stack.extend(n.items)
    return found


class Splicer(CollectionSplices):
    def __init__(self, tree: Tree, *, literal_blocks: bool = True, memo: dict[int, Any] | None = None) -> None:
        self.tree = tree
        self.text = tree.text
        self.lines = tree.lines
        self.style = dataclasses.replace(detect_style(tree), literal=literal_blocks)
        self.edits: list[tuple[int, int, int, str]] = []
        self.known: dict[int, Any] = {}  # id(node) -> its meaning after the edits so far
        self._memo: dict[int, Any] = memo if memo is not None else {}  # meanings of alias-free nodes
        self.notes: list[str] = []
        # anchors whose definition an edit removed or rewrote: aliases to them must become copies
        self.lost_anchors: set[str] = set()

    # -- driver --------------------------------------------------------------------------------
    def run(self, document: dict[str, Any]) -> str:
        root = self.tree.root
        if root is None or (isinstance(root, Scalar) and root.empty):
            prefix = self.text if not self.text or self.text.endswith("\n") else self.text + "\n"
            return prefix + document_text(document, self.style)
        self.sync(root, document, Place("root"))
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
        """The node's meaning after the edits so far (BROKEN when they broke it, e.g. a merge of a scalar)."""
        try:
            return meaning(node, self.known, self._memo)
        except InvalidInput:
            return BROKEN

    def settle(self, node: Node, value: Any) -> None:
        """`node` now means `value`: what its ancestors meant is out of date."""
        self.known[id(node)] = value
        up: Node | None = node
        while up is not None:
            self._memo.pop(id(up), None)
            up = up.parent

    def lose_anchors(self, node: Node, keep_own: bool = False) -> None:
        """`node` is going (or being rewritten): the anchors defined inside it go with it."""
        for anchor in anchors_in(node):
            if not (keep_own and anchor == node.anchor):
                self.lost_anchors.add(anchor)

    def refers_to_lost(self, node: Node) -> bool:
        return bool(self.lost_anchors) and bool(aliases_in(node) & self.lost_anchors)

    def col(self, pos: int) -> int:
        return self.lines.column(pos)

    # -- one node ----------------------------------------------------------------------------
    def sync(self, node: Node, desired: Any, place: Place) -> None:
        if same(self.cur(node), desired) and not self.refers_to_lost(node):
            return
        mark = len(self.edits)
        try:
            self._sync(node, desired, place)
        except Unsupported:
            del self.edits[mark:]
            self.notes.append(f"{place.path or 'the file'} was rewritten: its layout could not be kept")
            self.replace(node, desired, place)
        self.settle(node, desired)

    def _sync(self, node: Node, desired: Any, place: Place) -> None:
        if isinstance(node, Alias) and node.anchor in self.lost_anchors:
            self.replace(node, desired, place)  # what it named is gone: a copy
        elif isinstance(node, Alias):
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

    def replace_scalar(self, node: Scalar, desired: Any, place: Place) -> None:
        prefix = f"&{node.anchor} " if node.anchor else ""
        if node.style in ("|", ">") and isinstance(desired, str) and place.kind != "flow":
            header = self.lines.of(node.start)
            indent = self.lines.indent(header + 1) if header + 1 < self.lines.count else place.col + 2
            block = literal_block(desired, indent)
            if block is not None:
                header = self.text[node.start:self.lines.end(header)]
                if block[0].endswith("+") or "+" in header.split("#", 1)[0]:
                    # kept line ends: the old block's trailing blank lines are its content, so they go too
                    self.splice(node.start, node.raw_end, prefix + "\n".join(block) + "\n")
                else:
                    self.splice(node.start, node.end, prefix + "\n".join(block))
                return
        quote = node.style if node.style in ('"', "'") else None
        text = scalar_text(desired, style=quote, fallback_quote=self.style.quote, flow=place.kind == "flow")
        self.splice(node.start, node.end, prefix + text)

    def replace_alias(self, node: Alias, desired: Any, place: Place) -> None:
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

    def _child_col(self, place: Place) -> int:
        if place.kind == "item":
            return place.col + self.style.seq_gap
        return place.col + self.style.map_indent if place.kind == "value" else 0

    def replace(self, node: Node, desired: Any, place: Place) -> None:
        """Rewrite one node from the document (its inner comments go with it); its anchor stays."""
        anchor = f"&{node.anchor}" if node.anchor and not isinstance(node, Alias) else ""
        if not isinstance(node, Alias):
            self.lose_anchors(node, keep_own=True)
        if place.kind == "flow":
            self.splice(node.start, node.end, (anchor + " " if anchor else "") + flow_text(desired, self.style.quote))
            return
        if is_inline(desired) and not (isinstance(desired, str) and "\n" in desired):
            text = inline_text(desired, self.style)
            self.put_inline(node, (anchor + " " if anchor else "") + text, place)
            return
        if isinstance(desired, str):  # several lines: a literal block when it reads back, else quoted
            block = literal_block(desired, self._child_col(place)) if self.style.literal else None
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

    def _on_own_lines(self, node: Node, place: Place) -> bool:
        """A block collection that starts on a line after its key's (or its dash's)."""
        anchor_line = self.lines.of(place.colon if place.kind == "value" else place.dash)
        return self.lines.of(self._content_start(node)) > anchor_line

    def put_inline(self, node: Node, text: str, place: Place) -> None:
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

    def put_block(self, node: Node, lines: list[str], place: Place, anchor: str = "") -> None:
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

    def put_item_block(self, node: Node, lines: list[str], place: Place) -> None:
        """A block collection as a sequence item: its first line goes after the existing dash."""
        if self.text[self.lines.start(self.lines.of(place.dash)):place.dash].strip(" "):
            raise Unsupported("a compact nested sequence")
        end = node.end if not (isinstance(node, Scalar) and node.empty) else node.start
        self.splice(place.dash, end, "\n".join([lines[0][place.col:], *lines[1:]]))

    # -- block mappings --------------------------------------------------------------------------
