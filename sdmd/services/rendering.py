"""New YAML text that looks like the file it goes into: its indentation, its sequence style, its quotes.

Only what the editor adds is rendered here (a new key, a new service, a changed value); everything
else keeps the bytes it had. The style is detected once per file, mappings and sequences separately.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sdmd.services.yamltree import Mapping, Node, Scalar, Sequence, Tree, resolves_to_str, scalar_value

_INDICATORS = set("[]{},#&*!|>'\"%@`")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class Style:
    map_indent: int = 2  # a nested mapping's keys, right of its parent key
    seq_indent: int = 2  # a sequence's dashes, right of its parent key (0: `- x` under `key:`)
    seq_gap: int = 2  # from a dash to its item's text (`- x`: 2)
    quote: str = '"'  # for strings that cannot be written plain
    literal: bool = True  # new multi-line strings as `|` blocks (off: double-quoted, on one line)

    @property
    def item_indent(self) -> int:
        return self.seq_indent + self.seq_gap


def detect_style(tree: Tree) -> Style:
    """The file's own habits, counted over its block collections; ties and absences keep the defaults."""
    maps: Counter[int] = Counter()
    seqs: Counter[int] = Counter()
    gaps: Counter[int] = Counter()
    quotes: Counter[str] = Counter()
    lines = tree.lines

    def col(pos: int) -> int:
        return lines.column(pos)

    def visit(node: Node) -> None:
        if isinstance(node, Mapping):
            for key, value in node.pairs:
                if not node.flow and isinstance(value, Mapping) and not value.flow and value.pairs:
                    maps[col(value.pairs[0][0].start) - col(key.start)] += 1
                if not node.flow and isinstance(value, Sequence) and not value.flow and value.dashes:
                    seqs[col(value.dashes[0]) - col(key.start)] += 1
                visit(value)
        elif isinstance(node, Sequence):
            for dash, item in zip(node.dashes, node.items, strict=False):
                if not (isinstance(item, Scalar) and item.empty) and lines.of(item.start) == lines.of(dash):
                    gaps[item.start - dash] += 1
            for item in node.items:
                visit(item)
        elif isinstance(node, Scalar) and node.style in ('"', "'"):
            quotes[node.style] += 1

    if tree.root is not None:
        visit(tree.root)
    map_indent = _most_common(maps, 2, positive=True)
    return Style(map_indent=map_indent, seq_indent=_most_common(seqs, map_indent, positive=False),
                 seq_gap=_most_common(gaps, 2, positive=True), quote=_most_common(quotes, '"'))


def _most_common(counter: Counter, default: Any, positive: bool = False) -> Any:
    ranked = [(n, v) for v, n in counter.items() if not positive or (isinstance(v, int) and v > 0)]
    if not ranked:
        return default
    best = max(n for n, _ in ranked)
    winners = [v for n, v in ranked if n == best]
    return default if default in winners else winners[0]


def sibling_style(nodes: list[Node], least: int = 2) -> str | None:
    """The quoting most of these string scalars use (None: plain), so a new one looks like them.

    Items of one sequence are alike (one quoted port is the habit); a mapping's values differ more, so
    there it takes two of the same style to copy it."""
    styles = Counter(n.style for n in nodes if isinstance(n, Scalar) and not n.empty
                     and n.style in (None, '"', "'") and isinstance(scalar_value(n), str))
    if not styles:
        return None
    style, count = styles.most_common(1)[0]
    return style if count >= least and count * 2 > sum(styles.values()) else None


# -- scalars -------------------------------------------------------------------------------------

def plain_ok(text: str, flow: bool = False) -> bool:
    if not text or text != text.strip(" \t") or "\n" in text or "\t" in text or _CONTROL.search(text):
        return False
    first = text[0]
    if first in _INDICATORS or (first in "-?:" and (len(text) == 1 or text[1] == " ")):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    if text.startswith(("---", "...")):
        return False
    return resolves_to_str(text)


def double_quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def single_quoted(text: str) -> str | None:
    if "\n" in text or _CONTROL.search(text):
        return None
    return "'" + text.replace("'", "''") + "'"


def scalar_text(value: Any, *, style: str | None, fallback_quote: str = '"', flow: bool = False) -> str:
    """One-line YAML for a JSON scalar, in `style` (None, '"', "'") when it can hold the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if style == "'":
        quoted = single_quoted(text)
        if quoted is not None:
            return quoted
    if style == '"':
        return double_quoted(text)
    if plain_ok(text, flow=flow):
        return text
    if fallback_quote == "'":
        quoted = single_quoted(text)
        if quoted is not None:
            return quoted
    return double_quoted(text)


def key_text(key: str, quote: str) -> str:
    return key if plain_ok(key) and ":" not in key else scalar_text(key, style=None, fallback_quote=quote)


def literal_block(value: str, indent: int) -> list[str] | None:
    """A `|` block for a multi-line string (its header and lines), or None when one would not read back."""
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    if not body or body[0] in " \t" or _CONTROL.search(value) or "\t" in value:
        return None
    if any(line != line.rstrip(" ") for line in body.split("\n")):
        return None
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    pad = " " * indent
    return ["|" + chomp] + [pad + line if line else "" for line in body.split("\n")] + [""] * max(0, trailing - 1)


# -- collections -------------------------------------------------------------------------------

def flow_text(value: Any, quote: str, item_style: str | None = None) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key_text(k, quote)}: {flow_text(v, quote)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(v, quote, item_style) for v in value) + "]"
    return scalar_text(value, style=item_style, fallback_quote=quote, flow=True)


def is_inline(value: Any) -> bool:
    """Written on the key's own line: scalars and empty collections."""
    return not isinstance(value, dict | list) or not value


def inline_text(value: Any, style: Style, scalar_style: str | None = None) -> str:
    if isinstance(value, dict | list):
        return flow_text(value, style.quote)
    return scalar_text(value, style=scalar_style, fallback_quote=style.quote)


def entry_lines(key: str, value: Any, col: int, style: Style, value_style: str | None = None) -> list[str]:
    """`key: value` in block style with the key at column `col`."""
    head = " " * col + key_text(key, style.quote) + ":"
    if is_inline(value):
        if value is None:
            return [head]  # compose files write a null value as nothing (`volumes:\n  data:`)
        if isinstance(value, str) and "\n" in value and style.literal:
            block = literal_block(value, col + style.map_indent)
            if block is not None:
                return [head + " " + block[0], *block[1:]]
        return [head + " " + inline_text(value, style, value_style)]
    if isinstance(value, dict):
        return [head, *block_lines(value, col + style.map_indent, style)]
    return [head, *block_lines(value, col + style.seq_indent, style)]


def block_lines(value: dict | list, col: int, style: Style, item_style: str | None = None) -> list[str]:
    """A non-empty mapping (keys at `col`) or sequence (dashes at `col`) in block style."""
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(entry_lines(k, v, col, style))
        return out
    for item in value:
        out.extend(item_lines(item, col, style, item_style))
    return out


def item_lines(item: Any, dash_col: int, style: Style, item_style: str | None = None) -> list[str]:
    """`- item` with the dash at `dash_col`; a mapping item starts on the dash's line."""
    dash = " " * dash_col + "-" + " " * (style.seq_gap - 1)
    if is_inline(item):
        if isinstance(item, str) and "\n" in item and style.literal:
            block = literal_block(item, dash_col + style.seq_gap)
            if block is not None:
                return [dash + block[0], *block[1:]]
        return [dash + inline_text(item, style, item_style)]
    if isinstance(item, list):
        if all(is_inline(v) for v in item):
            return [dash + flow_text(item, style.quote)]
        return [dash.rstrip(), *block_lines(item, dash_col + style.seq_gap, style)]
    lines = block_lines(item, dash_col + style.seq_gap, style)
    return [dash + lines[0].lstrip(" "), *lines[1:]]


def value_lines(value: Any, col: int, style: Style) -> list[str]:
    """A value on its own lines below a key at `col` (a non-empty collection)."""
    if isinstance(value, dict):
        return block_lines(value, col + style.map_indent, style)
    return block_lines(value, col + style.seq_indent, style)


def document_text(document: dict[str, Any], style: Style | None = None) -> str:
    """A new compose file for a document (nothing to keep)."""
    style = style or Style()
    if not document:
        return "{}\n"
    return "\n".join(block_lines(document, 0, style)) + "\n"
