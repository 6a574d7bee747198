"""A YAML document as a tree of nodes that know their exact place in the source text.

ruamel.yaml's parser reports every node with a start and end mark; its composer resolves an alias to
the anchored node itself, losing where the alias was written. This module builds its own small tree
from the parser's events, so that aliases, merge keys, empty values and sequence dashes all keep their
positions, and the editor (editing.py) can change exactly the characters of one node.

It also bounds alias expansion before anything reads the document's meaning: every node's expanded
size (counting each alias as a copy of what it names) is known from the events alone, so an alias
bomb is refused after reading its few kilobytes, not after expanding its gigabytes.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scanner import ScannerError

from sdmd.errors import InvalidInput

try:  # ruamel.yaml.clib: libyaml's parser, with the same events and positions
    from _ruamel_yaml import CParser
except ImportError:  # pragma: no cover - the pure parser gives the same tree, slower
    CParser = None

# The limit on alias expansion: every corpus file has fewer than 3000 nodes expanded; a bomb has millions.
DEFAULT_MAX_NODES = 100_000
MAX_DEPTH = 100  # compose files nest about 6 deep; this keeps recursion far from Python's limit

STR = "tag:yaml.org,2002:str"
_CORE = {STR, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
         "tag:yaml.org,2002:null"}
# ruamel's own resolve() returns Tag objects and extends its tables in place on each call; read the tables.
_IMPLICIT_12 = VersionedResolver(version=(1, 2)).versioned_resolver
_IMPLICIT_11 = VersionedResolver(version=(1, 1)).versioned_resolver
_constructor = YAML(typ="safe", pure=True).constructor


@dataclass(eq=False)
class Node:
    start: int  # first character, properties (&anchor, !tag) included
    end: int  # one past the last character of content (block collections: of their last child)
    anchor: str | None = None
    tag: str | None = None
    size: int = 1  # nodes in the expanded value (aliases counted as copies)
    parent: Node | None = field(default=None, repr=False)
    has_alias: bool = False  # an alias inside: its meaning depends on another part of the file


@dataclass(eq=False)
class Scalar(Node):
    value: str = ""
    style: str | None = None  # None (plain), '"', "'", '|', '>'
    raw_end: int = 0  # block scalars: past the line ends and blank lines the parser counted as theirs
    implicit: tuple[bool, bool] = (True, False)

    @property
    def empty(self) -> bool:
        """An empty plain value (`key:` alone): the parser places it at the next token, so it has no span."""
        return self.style is None and self.value == "" and self.anchor is None and self.tag is None


@dataclass(eq=False)
class Mapping(Node):
    flow: bool = False
    pairs: list[tuple[Node, Node]] = field(default_factory=list)
    colons: list[int] = field(default_factory=list)  # position of each pair's ':'


@dataclass(eq=False)
class Sequence(Node):
    flow: bool = False
    items: list[Node] = field(default_factory=list)
    dashes: list[int] = field(default_factory=list)  # block sequences: position of each item's '-'


@dataclass(eq=False)
class Alias(Node):
    target: Node | None = None


class Lines:
    """Line arithmetic on a text with \\n line ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self.starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def count(self) -> int:
        """Real lines: the empty piece after a last line end is not one."""
        return len(self.starts) - 1 if self.text.endswith("\n") else len(self.starts)

    def of(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1

    def start(self, line: int) -> int:
        return self.starts[line]

    def end(self, line: int) -> int:
        """Index of the line's \\n (or the end of the text)."""
        nxt = self.starts[line + 1] - 1 if line + 1 < len(self.starts) else len(self.text)
        return nxt

    def after(self, line: int) -> int:
        """Index just past the line's \\n (the next line's start, or the end of the text)."""
        return self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)

    def column(self, pos: int) -> int:
        return pos - self.starts[self.of(pos)]

    def content(self, line: int) -> str:
        return self.text[self.starts[line]:self.end(line)]

    def kind(self, line: int) -> str:
        """'blank', 'comment' (only a comment) or 'content'."""
        stripped = self.content(line).strip(" \t")
        if not stripped:
            return "blank"
        return "comment" if stripped.startswith("#") else "content"

    def indent(self, line: int) -> int:
        text = self.content(line)
        return len(text) - len(text.lstrip(" \t"))


@dataclass
class Tree:
    text: str
    root: Node | None
    lines: Lines
    anchors_used: set[str] = field(default_factory=set)
    anchors_redefined: set[str] = field(default_factory=set)  # names anchored twice: an alias is ambiguous


def skip_blank(text: str, pos: int) -> int:
    """Past spaces, line ends and comments."""
    n = len(text)
    while pos < n:
        c = text[pos]
        if c in " \t\r\n":
            pos += 1
        elif c == "#":
            nl = text.find("\n", pos)
            pos = n if nl == -1 else nl
        else:
            break
    return pos


def skip_properties(text: str, pos: int) -> int:
    """Past a node's &anchor and !tag (and the blanks after them)."""
    while pos < len(text) and text[pos] in "&!":
        while pos < len(text) and text[pos] not in " \t\r\n":
            pos += 1
        pos = skip_blank(text, pos)
    return pos


def parse(text: str, max_nodes: int = DEFAULT_MAX_NODES) -> Tree:
    """The positioned tree of a one-document YAML text (\\n line ends, no BOM)."""
    lines = Lines(text)
    anchors: dict[str, Node] = {}
    used: set[str] = set()
    redefined: set[str] = set()
    stack: list[tuple[Node, list[Node]]] = []
    root: Node | None = None
    documents = 0
    try:
        events, _ = _events(text)
        for event in events:
            node: Node | None = None
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise InvalidInput("invalid compose file",
                                       "the file holds several YAML documents; compose reads one")
                continue
            if isinstance(event, ScalarEvent):
                node = Scalar(start=event.start_mark.index, end=event.end_mark.index, anchor=event.anchor,
                              tag=event.tag, value=event.value, style=event.style, implicit=event.implicit)
                if node.style in ("|", ">"):
                    node.raw_end = node.end
                    node.end = _trim_block_end(text, node.start, node.end)
            elif isinstance(event, AliasEvent):
                target = anchors.get(event.anchor)
                if target is None:
                    raise InvalidInput("invalid compose file", f"YAML: unknown alias *{event.anchor}")
                used.add(event.anchor)
                node = Alias(start=event.start_mark.index, end=event.end_mark.index, anchor=event.anchor,
                             target=target, size=target.size)
            elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                cls = Mapping if isinstance(event, MappingStartEvent) else Sequence
                coll = cls(start=event.start_mark.index, end=event.end_mark.index, anchor=event.anchor,
                           tag=event.tag, flow=bool(event.flow_style))
                if len(stack) >= MAX_DEPTH:
                    raise InvalidInput("invalid compose file", f"the YAML nests deeper than {MAX_DEPTH} levels")
                stack.append((coll, []))
                continue
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                coll, children = stack.pop()
                node = _finish(text, coll, children, event.end_mark.index)
                if node.size > max_nodes:
                    raise _too_big(max_nodes)
            else:
                continue
            if node.anchor and not isinstance(node, Alias):
                if node.anchor in anchors:
                    redefined.add(node.anchor)
                anchors[node.anchor] = node  # a later anchor of the same name wins, as in YAML
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
    except YAMLError as exc:
        raise InvalidInput("invalid compose file", f"YAML: {exc}") from exc
    if root is not None and root.size > max_nodes:
        raise _too_big(max_nodes)
    return Tree(text=text, root=root, lines=lines, anchors_used=used, anchors_redefined=redefined)


MAX_TAB_FIXES = 500


def _events(text: str) -> tuple[list[Any], str]:
    """The parser's events: libyaml's (20 times faster) when it reads the text, else ruamel's own."""
    if CParser is not None:
        try:
            parser = CParser(text)
            events = []
            while parser.check_event():
                event = parser.get_event()
                if isinstance(event, ScalarEvent) and not event.style:
                    event.style = None  # libyaml says '' for plain
                events.append(event)
            return events, text
        except YAMLError:
            pass  # ruamel's parser says why (or reads what libyaml does not)
    return _pure_events(text)


def _pure_events(text: str) -> tuple[list[Any], str]:
    """ruamel's events; a tab ruamel refuses between tokens (`image: a\t# note`, `key:\tvalue`),
    which compose accepts, is read as a space: one character for one, so every position stays."""
    for _ in range(MAX_TAB_FIXES):
        try:
            return list(YAML(typ="safe", pure=True).parse(text)), text
        except ScannerError as exc:
            mark = exc.problem_mark
            if mark is None or "'\\t'" not in str(exc.problem) or text[mark.index:mark.index + 1] != "\t":
                raise
            end = mark.index
            while end < len(text) and text[end] in " \t":
                end += 1
            text = text[:mark.index] + text[mark.index:end].replace("\t", " ") + text[end:]
    raise InvalidInput("invalid compose file", "too many tabs between YAML tokens")


def _too_big(limit: int) -> InvalidInput:
    return InvalidInput("compose file too large once expanded",
                        f"its aliases and anchors expand to more than {limit} YAML nodes (SDMD_YAML_MAX_NODES)")


def _trim_block_end(text: str, start: int, end: int) -> int:
    # A block scalar's end mark lies past its line break and trailing blank lines; its content ends earlier.
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _finish(text: str, coll: Node, children: list[Node], end_mark: int) -> Node:
    for child in children:
        child.parent = coll
    coll.has_alias = any(isinstance(c, Alias) or c.has_alias for c in children)
    if isinstance(coll, Mapping):
        coll.pairs = list(zip(children[0::2], children[1::2], strict=True))
        for key, value in coll.pairs:
            colon = skip_blank(text, key.end if not (isinstance(key, Scalar) and key.empty) else key.start)
            if colon >= len(text) or text[colon] != ":":
                colon = key.end  # an explicit key without a value: nothing to point at
            coll.colons.append(colon)
            if isinstance(value, Scalar) and value.empty:
                value.start = value.end = colon + 1
        coll.size = 1 + sum(k.size + v.size for k, v in coll.pairs)
    else:
        assert isinstance(coll, Sequence)
        coll.items = children
        if not coll.flow:
            pos = skip_properties(text, coll.start)
            for item in children:
                dash = skip_blank(text, pos)
                coll.dashes.append(dash)
                if isinstance(item, Scalar) and item.empty:
                    item.start = item.end = dash + 1
                pos = max(dash + 1, item.end)
        coll.size = 1 + sum(c.size for c in children)
    if coll.flow:
        coll.end = end_mark
    else:
        last = coll.pairs[-1][1] if isinstance(coll, Mapping) else coll.items[-1]
        coll.end = max(last.end, coll.colons[-1] + 1 if isinstance(coll, Mapping) else 0)
    return coll


# -- meaning ---------------------------------------------------------------------------------

def is_merge_key(node: Node) -> bool:
    return isinstance(node, Scalar) and node.style is None and node.value == "<<" and node.tag is None


def key_text(node: Node) -> str:
    """A mapping key as the JSON document names it (compose's keys are strings)."""
    if isinstance(node, Alias):
        assert node.target is not None
        return key_text(node.target)
    if not isinstance(node, Scalar):
        raise InvalidInput("invalid compose file", "a mapping key is a collection; compose keys are strings")
    return node.value


def scalar_value(node: Scalar) -> Any:
    tag = node.tag if node.tag in _CORE else None
    if tag is None:
        tag = implicit_tag(node.value) if node.implicit[0] else STR
    if tag == STR or tag not in _CORE:
        return node.value  # strings, and what JSON cannot carry (timestamps, custom tags), as written
    if tag == "tag:yaml.org,2002:null":
        return None
    probe = ScalarNode(tag, node.value)
    if tag == "tag:yaml.org,2002:bool":
        return _constructor.construct_yaml_bool(probe)
    if tag == "tag:yaml.org,2002:int":
        return _constructor.construct_yaml_int(probe)
    return _constructor.construct_yaml_float(probe)


def merge_sources(value: Node) -> list[Node]:
    """The mappings a `<<:` value names, in priority order."""
    target = value.target if isinstance(value, Alias) else value
    if isinstance(target, Sequence):
        return list(target.items)
    return [value]


_MISSING = object()


def meaning(node: Node | None, known: dict[int, Any] | None = None, memo: dict[int, Any] | None = None) -> Any:
    """The plain value of a node: aliases and merge keys resolved, as JSON would carry it.

    `known` maps id(node) to a value to use instead of the node's own (the editor's pending changes);
    `memo` keeps the values of alias-free nodes (shared objects: read them, do not change them).
    """
    if node is None:
        return None
    if known and id(node) in known:
        return known[id(node)]
    if memo is not None and not node.has_alias:
        got = memo.get(id(node), _MISSING)
        if got is not _MISSING:
            return got
    value = _meaning(node, known, memo)
    if memo is not None and not node.has_alias and not isinstance(node, Alias):
        memo[id(node)] = value
    return value


def _meaning(node: Node, known: dict[int, Any] | None, memo: dict[int, Any] | None) -> Any:
    if isinstance(node, Alias):
        return meaning(node.target, known, memo)
    if isinstance(node, Scalar):
        return scalar_value(node)
    if isinstance(node, Sequence):
        return [meaning(item, known, memo) for item in node.items]
    assert isinstance(node, Mapping)
    explicit: dict[str, Any] = {}
    merged: dict[str, Any] = {}
    for key, value in node.pairs:
        if is_merge_key(key):
            for source in merge_sources(value):
                got = meaning(source, known, memo)
                if not isinstance(got, dict):
                    raise InvalidInput("invalid compose file", "a merge key (<<) must name mappings")
                for k, v in got.items():
                    merged.setdefault(k, v)
            continue
        name = key_text(key)
        if name in explicit:
            raise InvalidInput("invalid compose file", f"YAML: duplicate key {name!r}")
        explicit[name] = meaning(value, known, memo)
    for k, v in merged.items():
        explicit.setdefault(k, v)
    return explicit


def same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0, key order does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def implicit_tag(value: str, table: dict = _IMPLICIT_12) -> str:
    """The tag a plain scalar resolves to."""
    for tag, regexp in table.get(value[0] if value else "", []):
        if regexp.match(value):
            return str(tag)
    return STR


def resolves_to_str(text: str) -> bool:
    """Would `text`, written plain, read back as that string, in YAML 1.2 and 1.1 alike?"""
    return implicit_tag(text) == STR and implicit_tag(text, _IMPLICIT_11) == STR
