"""Splicing edits into collections: block mappings (keys added after the last child, removed with what
belongs to them), block sequences (items matched by value), and flow collections.

A mixin of splicing.Splicer, which holds the text, its lines, the pending splices and the node sync.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from sdmd.services.rendering import entry_lines, flow_text, item_lines, key_text, sibling_style
from sdmd.services.yamltree import (
    Alias,
    Mapping,
    Node,
    Scalar,
    Sequence,
    fingerprint,
    is_merge_key,
    merge_sources,
    same,
)
from sdmd.services.yamltree import key_text as node_key

if TYPE_CHECKING:
    from sdmd.services.rendering import Style
    from sdmd.services.yamltree import Lines, Tree


class Unsupported(Exception):
    """A construct this editor cannot splice minimally; the enclosing node is rewritten instead."""


@dataclass(frozen=True)
class Place:
    kind: str  # "root", "value" (of a block mapping entry), "item" (of a block sequence), "flow"
    col: int = 0  # value: the key's column; item: the dash's column
    colon: int = -1  # value: where the entry's ':' is
    dash: int = -1  # item: where the item's '-' is
    path: str = ""


class CollectionSplices:
    """Collections, for Splicer (see splicing.py for the attributes and primitives used here)."""

    tree: Tree
    text: str
    lines: Lines
    style: Style

    def sync_block_mapping(self, node: Mapping, desired: dict[str, Any], place: Place) -> None:
        explicit: dict[str, int] = {}
        merges: list[int] = []
        for i, (key, _) in enumerate(node.pairs):
            if is_merge_key(key):
                merges.append(i)
            else:
                explicit[node_key(key)] = i
        merged: dict[str, Any] = {}
        merged_nodes: dict[str, Node] = {}  # where a merged value is written, to alias it if the merge goes
        sound = True  # every source still names a mapping that stays
        for i in merges:
            for source in merge_sources(node.pairs[i][1]):
                got = self.cur(source)
                if not isinstance(got, dict) or (isinstance(source, Alias) and source.anchor in self.lost_anchors):
                    sound = False
                    continue
                for k, v in got.items():
                    merged.setdefault(k, v)
                target = source.target if isinstance(source, Alias) else source
                for k, v in target.pairs if isinstance(target, Mapping) else []:
                    if not is_merge_key(k):
                        merged_nodes.setdefault(node_key(k), v)
        removed = {i for name, i in explicit.items() if name not in desired}
        keep_merges = bool(merges) and sound and all(k in desired for k in merged)
        if merges and not keep_merges:
            removed.update(merges)  # a merged key must go: the merge is written out instead
        additions = {k: v for k, v in desired.items() if k not in explicit
                     and not (keep_merges and k in merged and same(merged[k], v))}
        for i in removed:
            self.lose_anchors(node.pairs[i][0])
            self.lose_anchors(node.pairs[i][1])
        kept = [i for i in range(len(node.pairs)) if i not in removed]
        if not kept:
            self.replace(node, desired, place)
            return
        for name, i in explicit.items():
            if name in desired:
                key = node.pairs[i][0]
                self.sync(node.pairs[i][1], desired[name],
                          Place("value", col=self.col(key.start), colon=node.colons[i], path=f"{place.path}.{name}"))
        if removed:
            self.remove_entries(node, sorted(removed))
        if additions:
            aliases = {k: name for k in additions if k in merged_nodes
                       and (name := self._alias_for(merged_nodes[k], additions[k])) is not None}
            self.add_entries(node, kept[-1], additions, aliases)

    def _alias_for(self, node: Node, value: Any) -> str | None:
        """An anchor that names exactly `value` (a merged collection written out keeps pointing at it)."""
        target = node.target if isinstance(node, Alias) else node
        if target is None or not target.anchor or target.anchor in self.tree.anchors_redefined \
                or target.anchor in self.lost_anchors \
                or not isinstance(target, Mapping | Sequence) or not same(self.cur(target), value):
            return None
        return target.anchor

    def _entry_last_line(self, node: Mapping, i: int, siblings: bool = False) -> int:
        """The entry's last line, with the comments right below it indented deeper than its key (inside
        it); `siblings`: also those at its key's column (commented-out entries at the end of the mapping)."""
        key, value = node.pairs[i]
        end = max(value.end, node.colons[i] + 1)
        return self._trailing_comments(self.lines.of(end - 1), self.col(key.start) - (1 if siblings else 0))

    def _trailing_comments(self, line: int, col: int) -> int:
        """Past the comment lines right below `line` that are indented deeper than `col`."""
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
                    raise Unsupported("removing the key that shares its line")
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

    def add_entries(self, node: Mapping, last_kept: int, additions: dict[str, Any],
                    aliases: dict[str, str] | None = None) -> None:
        col = self.col(node.pairs[0][0].start)
        values = [v for k, v in node.pairs if not is_merge_key(k)]
        quote = sibling_style(values)
        lines: list[str] = []
        for key, value in additions.items():
            if aliases and key in aliases:
                lines.append(" " * col + f"{key_text(key, self.style.quote)}: *{aliases[key]}")
            else:
                lines.extend(entry_lines(key, value, col, self.style, value_style=quote))
        self.insert_lines(self.lines.after(self._entry_last_line(node, last_kept, siblings=True)), lines)

    # -- block sequences -------------------------------------------------------------------------
    def sync_block_sequence(self, node: Sequence, desired: list[Any], place: Place) -> None:
        old = [fingerprint(self.cur(item)) for item in node.items]
        new = [fingerprint(v) for v in desired]
        updates: list[tuple[int, Any]] = []
        removed: list[int] = []
        inserts: list[tuple[int, list[Any]]] = []  # before item i (len(items): at the end)
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":  # unchanged, unless it names an anchor an edit removed
                updates.extend((i1 + k, desired[j1 + k]) for k in range(i2 - i1)
                               if self.refers_to_lost(node.items[i1 + k]))
                continue
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            updates.extend((i1 + k, desired[j1 + k]) for k in range(paired))
            removed.extend(range(i1 + paired, i2))
            if j2 - j1 > paired:
                inserts.append((i2, desired[j1 + paired:j2]))
        kept = [i for i in range(len(node.items)) if i not in removed]
        for i in removed:
            self.lose_anchors(node.items[i])
        if not kept:
            self.replace(node, desired, place)
            return
        dash_col = self.col(node.dashes[0])
        for i, value in updates:
            self.sync(node.items[i], value, Place("item", col=self.col(node.dashes[i]), dash=node.dashes[i],
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
            quote = sibling_style(node.items, least=1)
            for before, values in inserts:
                lines = [line for v in values for line in item_lines(v, dash_col, style, quote)]
                if before < len(node.items) and before in kept:
                    self.insert_lines(self.lines.start(self._item_lines(node, before)[0]), lines)
                elif any(i < before for i in kept):
                    last = self._item_lines(node, max(i for i in kept if i < before), siblings=True)[1]
                    self.insert_lines(self.lines.after(last), lines)
                else:
                    self.insert_lines(self.lines.start(self._item_lines(node, kept[0])[0]), lines)

    def _item_lines(self, node: Sequence, i: int, siblings: bool = False) -> tuple[int, int]:
        dash = node.dashes[i]
        line = self.lines.of(dash)
        if self.text[self.lines.start(line):dash].strip(" "):
            raise Unsupported("a sequence item that shares its line")
        col = self.col(dash)
        item = node.items[i]
        last = self._trailing_comments(self.lines.of(max(item.end, dash + 1) - 1), col - (1 if siblings else 0))
        return self._leading_comments(line, col), last

    def _item_gap(self, node: Sequence) -> int:
        for dash, item in zip(node.dashes, node.items, strict=True):
            if not (isinstance(item, Scalar) and item.empty) and self.lines.of(item.start) == self.lines.of(dash):
                return max(2, item.start - dash)
        return self.style.seq_gap

    # -- flow collections: values change in place; a new or removed entry rewrites the brackets ----
    def sync_flow_mapping(self, node: Mapping, desired: dict[str, Any], place: Place) -> None:
        names = [None if is_merge_key(k) else node_key(k) for k, _ in node.pairs]
        if None not in names and set(names) == set(desired):
            for (_, value), name in zip(node.pairs, names, strict=True):
                self.sync(value, desired[name], Place("flow", path=f"{place.path}.{name}"))
            return
        pieces = []
        reused: set[int] = set()
        for name, value in desired.items():
            if name in names:
                key, old = node.pairs[names.index(name)]
                if same(self.cur(old), value) and not self.refers_to_lost(old):
                    reused.add(names.index(name))
                    pieces.append(self.text[key.start:old.end] if not (isinstance(old, Scalar) and old.empty)
                                  else self.text[key.start:key.end])
                    continue
            pieces.append(f"{key_text(name, self.style.quote)}: {flow_text(value, self.style.quote)}")
        for i, (_, value) in enumerate(node.pairs):
            if i not in reused:
                self.lose_anchors(value)
        self.splice(self._content_start(node), node.end, "{" + ", ".join(pieces) + "}")

    def sync_flow_sequence(self, node: Sequence, desired: list[Any], place: Place) -> None:
        if len(desired) == len(node.items):
            for i, (item, value) in enumerate(zip(node.items, desired, strict=True)):
                self.sync(item, value, Place("flow", path=f"{place.path}[{i}]"))
            return
        old = [fingerprint(self.cur(item)) for item in node.items]
        quote = sibling_style(node.items, least=1)
        pieces: list[str] = []
        for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, [fingerprint(v) for v in desired],
                                                   autojunk=False).get_opcodes():
            for item in node.items[i1:i2]:
                if tag != "equal" or self.refers_to_lost(item):
                    self.lose_anchors(item)
            if tag == "equal":
                pieces.extend(flow_text(desired[j1 + k], self.style.quote, quote) if self.refers_to_lost(item)
                              else self.text[item.start:item.end] for k, item in enumerate(node.items[i1:i2]))
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
