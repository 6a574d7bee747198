"""The real compose corpus, the six edits made to each file, and how an edit's fidelity is measured.

The measures deliberately do not use sdmd's own parser: the meaning of a result is read back with
ruamel.yaml's safe loader, comments are found by a line scanner, and ownership of the lines around a
removed service follows the rule the README states, re-implemented here on ruamel's events.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.events import MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent

CORPUS = Path(os.environ.get("SDMD_CORPUS_DIR", Path(__file__).resolve().parents[3] / "shared/corpus/compose"))
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/compose")
NEW_IMAGE = "127.0.0.1:5000/sdmd-test/app:1"
EDITS = ("none", "image", "env", "add_service", "remove_service", "add_port")


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.yaml"))


def read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def load(text: str) -> Any:
    """The independent oracle: ruamel's safe loader (merge keys resolved), made JSON-like."""
    return _jsonish(YAML(typ="safe", pure=True).load(text))


def _jsonish(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonish(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonish(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# -- the edits ----------------------------------------------------------------------------------

@dataclass
class Edit:
    kind: str
    document: dict[str, Any]  # what the file must mean afterwards
    patch: dict[str, Any]  # the same change as an RFC 7396 merge patch
    path: tuple[str, ...] = ()  # the key edited (services, <svc>[, key[, entry]])
    applicable: bool = True


def _references(doc: dict[str, Any]) -> set[str]:
    """Services other services name (depends_on, links, network_mode/volumes_from service:, extends)."""
    named: set[str] = set()
    for spec in (doc.get("services") or {}).values():
        if not isinstance(spec, dict):
            continue
        deps = spec.get("depends_on") or []
        named.update(deps if isinstance(deps, list) else deps.keys())
        named.update(str(link).split(":")[0] for link in spec.get("links") or [])
        for value in [spec.get("network_mode"), *(spec.get("volumes_from") or [])]:
            if isinstance(value, str) and value.startswith("service:"):
                named.add(value.split(":")[1])
        extends = spec.get("extends")
        if isinstance(extends, dict) and "file" not in extends:
            named.add(extends.get("service"))
        named.update(str(v).split(":")[0] for v in spec.get("volumes_from") or [])
    return named


def _repository(image: str) -> str:
    """The image reference without its tag (a ':' inside ${...} or before the last '/' is not a tag)."""
    image = image.split("@", 1)[0]  # a digest goes with the old tag
    depth, colon = 0, -1
    for i, c in enumerate(image):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == ":" and depth == 0:
            colon = i
        elif c == "/" and depth == 0:
            colon = -1
    return image[:colon] if colon != -1 else image


def make_edit(kind: str, doc: dict[str, Any]) -> Edit:
    doc = copy.deepcopy(doc)
    services = doc.get("services") or {}
    names = list(services)
    if kind == "none":
        return Edit(kind, doc, {})
    if kind == "add_service":
        new = {"image": NEW_IMAGE, "restart": "unless-stopped"}
        doc["services"]["sdmd-added"] = new
        return Edit(kind, doc, {"services": {"sdmd-added": new}}, ("services", "sdmd-added"))
    if kind == "remove_service":
        unused = [n for n in names if n not in _references(doc)]
        if len(names) < 2 or not unused:
            return Edit(kind, doc, {}, applicable=False)
        victim = unused[0]
        del doc["services"][victim]
        return Edit(kind, doc, {"services": {victim: None}}, ("services", victim))
    with_image = [n for n in names if isinstance(services[n], dict) and isinstance(services[n].get("image"), str)]
    if kind == "image":
        if not with_image:
            return Edit(kind, doc, {}, applicable=False)
        name = with_image[0]
        services[name]["image"] = f"{_repository(services[name]['image'])}:9.9.9-sdmd"
        return Edit(kind, doc, {"services": {name: {"image": services[name]["image"]}}}, ("services", name, "image"))
    plain = [n for n in names if isinstance(services[n], dict) and "network_mode" not in services[n]]
    name = (plain or names)[0]
    spec = services[name]
    if kind == "env":
        env = spec.get("environment")
        if isinstance(env, dict) and env:
            key = next(iter(env))
            env[key] = "changed-by-sdmd"
            return Edit(kind, doc, {"services": {name: {"environment": {key: "changed-by-sdmd"}}}},
                        ("services", name, "environment", key))
        if isinstance(env, list) and env:
            key = str(env[0]).split("=", 1)[0]
            env[0] = f"{key}=changed-by-sdmd"
            return Edit(kind, doc, {"services": {name: {"environment": env}}},
                        ("services", name, "environment", "0"))
        spec["environment"] = {"SDMD_ADDED": "1"}
        return Edit(kind, doc, {"services": {name: {"environment": {"SDMD_ADDED": "1"}}}},
                    ("services", name, "environment"))
    if kind == "add_port":
        ports = list(spec.get("ports") or [])
        ports.append("127.0.0.1:18080:80")
        spec["ports"] = ports
        return Edit(kind, doc, {"services": {name: {"ports": ports}}}, ("services", name, "ports"))
    raise ValueError(kind)


# -- measuring ----------------------------------------------------------------------------------

@dataclass
class Measure:
    unintended_lines: int = 0
    comments_lost: list[str] = field(default_factory=list)
    meaning_exact: bool = True
    misplaced_insertions: int = 0  # new lines put right after a blank line (it belongs to the next node)
    stray_lines: int = 0  # blank or comment-only lines the edit added (an edit never writes those)
    changed_lines: int = 0  # every line removed, replaced or added

    @property
    def perfect(self) -> bool:
        return not self.unintended_lines and not self.comments_lost and self.meaning_exact \
            and not self.misplaced_insertions and not self.stray_lines


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")


def _block_scalar_lines(text: str) -> set[int]:
    """Lines inside block scalars (| and >): a '#' there is text, not a comment."""
    inside: set[int] = set()
    for event in YAML(typ="safe", pure=True).parse(text):
        if isinstance(event, ScalarEvent) and event.style in ("|", ">"):
            inside.update(range(event.start_mark.line + 1, event.end_mark.line + 1))
    return inside


def comments(text: str, skip: set[int] = frozenset()) -> Counter[str]:
    lines = _lines(text)
    inside = _block_scalar_lines(text.removeprefix("\ufeff").replace("\r\n", "\n"))
    found: Counter[str] = Counter()
    for n, line in enumerate(lines):
        if n in inside or n in skip:
            continue
        quote = None
        for i, c in enumerate(line):
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-"):
                quote = c
            elif c == "#" and (i == 0 or line[i - 1] in " \t"):
                found[line[i:].rstrip()] += 1
                break
    return found


def _kind(line: str) -> str:
    s = line.strip(" \t")
    return "blank" if not s else "comment" if s.startswith("#") else "content"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def entry_lines(text: str, path: tuple[str, ...]) -> set[int]:
    """The lines of the mapping entry (or sequence item) at `path`: its key line to its last content line,
    the comments indented deeper right after it, and the comment block at its column right above it."""
    lf = text.removeprefix("\ufeff").replace("\r\n", "\n")
    span = _span(lf, path)
    if span is None:
        return set()
    first, last, col = span
    lines = lf.split("\n")
    while last + 1 < len(lines) and _kind(lines[last + 1]) == "comment" and _indent(lines[last + 1]) > col:
        last += 1
    while first > 0 and _kind(lines[first - 1]) == "comment" and _indent(lines[first - 1]) == col:
        first -= 1
    return set(range(first, last + 1))


def _span(text: str, path: tuple[str, ...]) -> tuple[int, int, int] | None:
    """(first line, last content line, column) of the entry at `path`, from ruamel's events."""
    events = list(YAML(typ="safe", pure=True).parse(text))
    pos = 0

    def node_end(i: int) -> tuple[int, int]:
        """Index after the node starting at event i, and the last line holding its content."""
        depth, last = 0, events[i].end_mark.line
        while True:
            e = events[i]
            if isinstance(e, MappingStartEvent | SequenceStartEvent):
                depth += 1
            elif isinstance(e, MappingEndEvent | SequenceEndEvent):
                depth -= 1
                if e.end_mark.index > e.start_mark.index:  # a flow collection's closing bracket
                    last = max(last, e.end_mark.line)
            else:
                end = e.end_mark
                if isinstance(e, ScalarEvent) and e.style in ("|", ">"):
                    line = end.line - (1 if end.column == 0 else 0)
                    while line > e.start_mark.line and not text.split("\n")[line].strip():
                        line -= 1
                    last = max(last, line)
                elif not (isinstance(e, ScalarEvent) and e.value == "" and e.style is None):
                    last = max(last, end.line if end.column else end.line - 1)
            i += 1
            if depth == 0:
                return i, last

    while not isinstance(events[pos], MappingStartEvent):
        pos += 1
    for step, name in enumerate(path):
        start = events[pos]
        pos += 1
        found = None
        index = 0
        while not isinstance(events[pos], MappingEndEvent | SequenceEndEvent):
            if isinstance(start, MappingStartEvent):
                key = events[pos]
                value_at = pos + 1
                if isinstance(key, ScalarEvent) and key.value == name:
                    found = (key, value_at)
                    break
                pos, _ = node_end(value_at)
            else:
                if str(index) == name:
                    found = (events[pos], pos)
                    break
                pos, _ = node_end(pos)
                index += 1
        if found is None:
            return None
        key, value_at = found
        if step == len(path) - 1:
            _, last = node_end(value_at)
            first = key.start_mark.line
            return first, max(first, last), key.start_mark.column
        pos = value_at
        if not isinstance(events[pos], MappingStartEvent | SequenceStartEvent):
            return None
    return None


def measure(before: str, after: str, edit: Edit) -> Measure:
    old, new = _lines(before), _lines(after)
    allowed: set[int] = set()
    if edit.kind in ("image", "env", "remove_service", "add_port") and edit.path:
        allowed = entry_lines(before, edit.path)
        if edit.kind == "env" and not allowed:
            allowed = entry_lines(before, edit.path[:3])
    if edit.kind == "remove_service" and allowed:
        # one blank run beside the removed block is part of the removal
        lo, hi = min(allowed), max(allowed)
        while lo - 1 >= 0 and _kind(old[lo - 1]) == "blank":
            lo -= 1
            allowed.add(lo)
        while hi + 1 < len(old) and _kind(old[hi + 1]) == "blank":
            hi += 1
            allowed.add(hi)
    result = Measure()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        result.changed_lines += max(i2 - i1, j2 - j1)
        result.unintended_lines += sum(1 for n in range(i1, i2) if n not in allowed)
        result.stray_lines += sum(1 for line in new[j1:j2] if _kind(line) != "content")
        if tag == "insert" and i1 > 0 and _kind(old[i1 - 1]) == "blank" and edit.kind != "remove_service":
            result.misplaced_insertions += 1
    lost = comments(before, allowed if edit.kind == "remove_service" else set()) - comments(after)
    result.comments_lost = sorted(lost.elements())
    try:
        result.meaning_exact = load(after) == edit.document
    except Exception:
        result.meaning_exact = False
    return result


ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?\?)[^}]*\}")
# Variables compose needs a value of the right shape for (a duration, a boolean, a path): the values the
# projects' own example .env files give (mattermost's env.example, getsentry's .env).
TYPED_VARIABLES = {
    "MATTERMOST_CONTAINER_READONLY": "false", "RESTART_POLICY": "unless-stopped",
    "POSTGRES_IMAGE_TAG": "13-alpine", "POSTGRES_DATA_PATH": "./volumes/db/var/lib/postgresql/data",
    "MATTERMOST_IMAGE": "mattermost-enterprise-edition", "MATTERMOST_IMAGE_TAG": "release-10",
    "MATTERMOST_CONFIG_PATH": "./volumes/app/mattermost/config",
    "MATTERMOST_DATA_PATH": "./volumes/app/mattermost/data", "MATTERMOST_LOGS_PATH": "./volumes/app/mattermost/logs",
    "MATTERMOST_PLUGINS_PATH": "./volumes/app/mattermost/plugins",
    "MATTERMOST_CLIENT_PLUGINS_PATH": "./volumes/app/mattermost/client/plugins",
    "MATTERMOST_BLEVE_INDEXES_PATH": "./volumes/app/mattermost/bleve-indexes",
    "HEALTHCHECK_INTERVAL": "30s", "HEALTHCHECK_TIMEOUT": "1m30s", "HEALTHCHECK_RETRIES": "10",
    "HEALTHCHECK_START_PERIOD": "10s", "HEALTHCHECK_FILE_INTERVAL": "60s", "HEALTHCHECK_FILE_TIMEOUT": "10s",
    "HEALTHCHECK_FILE_RETRIES": "3", "HEALTHCHECK_FILE_START_PERIOD": "600s",
    "SENTRY_IMAGE": "ghcr.io/getsentry/sentry:nightly", "SNUBA_IMAGE": "ghcr.io/getsentry/snuba:nightly",
    "RELAY_IMAGE": "ghcr.io/getsentry/relay:nightly", "SYMBOLICATOR_IMAGE": "ghcr.io/getsentry/symbolicator:nightly",
    "TASKBROKER_IMAGE": "ghcr.io/getsentry/taskbroker:nightly", "VROOM_IMAGE": "ghcr.io/getsentry/vroom:nightly",
    "UPTIME_CHECKER_IMAGE": "ghcr.io/getsentry/uptime-checker:nightly",
    "LAUNCHPAD_IMAGE": "ghcr.io/getsentry/launchpad:nightly", "SENTRY_BIND": "9000",
    "SENTRY_EVENT_RETENTION_DAYS": "90", "SENTRY_TASKWORKER_CONCURRENCY": "4",
}


def stack_environment(text: str) -> tuple[str, list[str]]:
    """What a stack folder needs beside the file for `compose config` to accept it: a .env with the
    variables the file requires (`${VAR:?}`) or whose type compose checks, and the env files it names."""
    required = sorted({m.group(1) for m in ENV_VAR.finditer(text)})
    env = {name: "sdmd-fidelity" for name in required}
    env.update({k: v for k, v in TYPED_VARIABLES.items() if re.search(rf"\${{?{k}\b", text)})
    files: list[str] = []
    doc = load(text)
    for spec in (doc.get("services") or {}).values():
        env_file = (spec or {}).get("env_file") if isinstance(spec, dict) else None
        for entry in [env_file] if isinstance(env_file, str) else env_file or []:
            path = entry if isinstance(entry, str) else entry.get("path")
            if path and not path.startswith("/") and path not in files:
                files.append(path)
    return "".join(f"{k}={v}\n" for k, v in env.items()), files
