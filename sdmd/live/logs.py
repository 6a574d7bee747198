"""Logs: live follow from Docker's follow streams, one container or all, since/until, downloads.

The live stream (SSE) sends `lines` events ({"lines": [...], "backlog": bool}). Its first event is the
backlog: the last `tail` lines of the chosen containers merged by time. Then every line as Docker
hands it over, a few milliseconds' worth per event. Each event's `id` is a cursor: for every
container, the timestamp (ns) of the last line sent and how many lines carried exactly that stamp.
A client that reconnects with `Last-Event-ID` continues from there: Docker's `since` is inclusive to
the nanosecond, so the lines at the cursor's stamp that were already sent are skipped, and nothing is
lost or repeated. Containers that start later (a recreate, a restart) are followed as they start.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool

from sdmd.core import Core
from sdmd.docker import DockerGateway
from sdmd.docker.gateway import PROJECT_LABEL, SERVICE_LABEL
from sdmd.errors import InvalidInput, NotFound, SdmdError
from sdmd.hosts import reader
from sdmd.live.streams import Bridge, End, sse
from sdmd.services.runtime import group_by_project
from sdmd.services.service import gateway_of

BATCH_SECONDS = 0.03
BATCH_MAX = 500
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$")


def stamp_ns(stamp: str) -> int:
    """Docker's RFC 3339 stamp (nanoseconds) as integer nanoseconds since the epoch."""
    m = _STAMP.match(stamp)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {stamp!r}")
    zone = "+00:00" if m[3] == "Z" else m[3]
    seconds = int(datetime.fromisoformat(m[1] + zone).timestamp())
    return seconds * 1_000_000_000 + int((m[2] or "0").ljust(9, "0"))


def docker_time(ns: int) -> str:
    """Nanoseconds as Docker's since/until parameter: unix seconds with nine decimals."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def parse_time(value: str | None, what: str) -> int | None:
    """A since/until query value: RFC 3339 (a zone, or UTC when none), or unix seconds."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d+(\.\d{1,9})?", text):
            whole, _, frac = text.partition(".")
            return int(whole) * 1_000_000_000 + int(frac.ljust(9, "0") or 0)
        if _STAMP.match(text):
            return stamp_ns(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp()) * 1_000_000_000 + parsed.microsecond * 1000
    except ValueError as exc:
        raise InvalidInput(f"invalid {what}", f"{value!r}: use RFC 3339 (2026-12-01T10:00:00Z) or unix seconds") \
            from exc


# -- the resume cursor --------------------------------------------------------------------------------------
@dataclass
class Cursor:
    """Per container (12-char id): (stamp of the last line sent, lines sent with exactly that stamp)."""

    positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def encode(self) -> str:
        return ",".join(f"{cid}:{ts}:{n}" for cid, (ts, n) in sorted(self.positions.items()))

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        positions = {}
        for part in text.split(","):
            m = re.fullmatch(r"([0-9a-f]{12}):(\d{1,20}):(\d{1,9})", part.strip())
            if not m:
                return None  # not ours: start afresh rather than guess
            positions[m[1]] = (int(m[2]), int(m[3]))
        return cls(positions)

    def advance(self, cid: str, ts: int) -> None:
        last, count = self.positions.get(cid, (-1, 0))
        self.positions[cid] = (ts, count + 1) if ts == last else (ts, 1)


@dataclass
class LogLine:
    container: str
    service: str | None
    timestamp: str
    message: str
    ts: int

    def view(self) -> dict[str, Any]:
        return {"container": self.container, "service": self.service, "timestamp": self.timestamp,
                "message": self.message}


def split_line(raw: str) -> tuple[str, str] | None:
    stamp, sep, message = raw.partition(" ")
    if not sep and not _STAMP.match(stamp):
        return None
    return stamp, message.rstrip("\r")


@dataclass
class Target:
    """One container whose logs are read."""

    id: str  # 12 chars
    name: str
    service: str | None
    tty: bool = False


def targets(core: Core, host: str, project: str, only: str | None) -> list[Target]:
    views = group_by_project(reader.project_containers(core, host, project)).get(project, [])
    chosen = [Target(v["id"], v["name"], v["service"]) for v in views
              if only is None or only in (v["id"], v["name"], v["service"]) or (len(only) >= 4 and
                                                                                 v["id"].startswith(only))]
    if only is not None and not chosen:
        raise NotFound("container not found", f"{project} has no container {only}")
    gateway = gateway_of(core, host)
    for t in chosen:
        with contextlib.suppress(SdmdError):
            t.tty = bool((gateway.inspect_container(t.id).get("Config") or {}).get("Tty"))
    return chosen


def _read(docker: DockerGateway, target: Target, *, tail: int | None, since: int | None, until: int | None
          ) -> Iterator[LogLine]:
    """A container's lines, oldest first, read lazily from Docker (no follow)."""
    stream = docker.follow_logs(target.id, follow=False, tail=tail, tty=target.tty,
                                     since=docker_time(since) if since else None,
                                     until=docker_time(until) if until else None)
    buffer = ""
    try:
        for chunk in stream:
            buffer += chunk.decode("utf-8", errors="replace")
            *complete, buffer = buffer.split("\n")
            for raw in complete:
                if parts := split_line(raw):
                    yield LogLine(target.name, target.service, parts[0], parts[1], stamp_ns(parts[0]))
        if buffer and (parts := split_line(buffer)):
            yield LogLine(target.name, target.service, parts[0], parts[1], stamp_ns(parts[0]))
    finally:
        stream.close()


def read_lines(docker: DockerGateway, chosen: list[Target], *, tail: int | None, since: int | None,
               until: int | None) -> tuple[list[LogLine], Cursor]:
    """The last `tail` lines of all `chosen` merged by time, and the cursor after every container's last line."""
    lines: list[LogLine] = []
    cursor = Cursor()
    for t in chosen:
        mine = list(_read(docker, t, tail=tail, since=since, until=until))
        for line in mine:
            cursor.advance(t.id, line.ts)
        lines.extend(mine)
    lines.sort(key=lambda line: line.ts)
    return (lines[-tail:] if tail is not None else lines), cursor


def download(docker: DockerGateway, chosen: list[Target], *, tail: int | None, since: int | None,
             until: int | None) -> Iterator[bytes]:
    """`container | stamp message` lines of every chosen container merged by time, streamed in chunks."""
    merged = heapq.merge(*(_read(docker, t, tail=tail, since=since, until=until) for t in chosen),
                         key=lambda line: line.ts)
    chunk: list[str] = []
    for line in merged:
        chunk.append(f"{line.container} | {line.timestamp} {line.message}\n")
        if len(chunk) >= 1000:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()


# -- the live follow -------------------------------------------------------------------------------------
class LogFollow:
    """Follows the chosen containers (and, unless one was picked, any that start later) into an SSE queue."""

    def __init__(self, core: Core, queue: asyncio.Queue[bytes | End], *, host: str, project: str, only: str | None,
                 tail: int, since: int | None, until: int | None, cursor: Cursor | None) -> None:
        self.core, self.queue, self.host, self.project, self.only = core, queue, host, project, only
        self.docker = gateway_of(core, host)
        self.tail, self.since, self.until = tail, since, until
        self.cursor = cursor
        self.resumed = cursor is not None
        self.targets: dict[str, Target] = {}
        self.followers: dict[str, Bridge] = {}
        self.reopen: set[str] = set()
        self.skip: dict[str, int] = {}
        self.buffers: dict[str, str] = {}
        self.pending: list[LogLine] = []
        self.flush_handle: asyncio.TimerHandle | None = None
        self.events: Bridge | None = None
        self.subscription: Any = None
        self.closed = False

    async def start(self) -> None:
        chosen = await run_in_threadpool(targets, self.core, self.host, self.project, self.only)
        self.targets = {t.id: t for t in chosen}
        if self.cursor is None:
            lines, self.cursor = await run_in_threadpool(read_lines, self.docker, chosen, tail=self.tail,
                                                         since=self.since, until=self.until)
            self.queue.put_nowait(sse({"lines": [line.view() for line in lines], "backlog": True},
                                      event="lines", ident=self.cursor.encode() or None))
        if self.until is not None:
            self.queue.put_nowait(End("complete", "every line up to `until` was sent"))
            return
        if self.closed:
            return
        self._watch_starts()
        for t in chosen:
            self._follow(t)

    def _follow(self, target: Target) -> None:
        if self.closed:
            return
        if target.id in self.followers:
            self.reopen.add(target.id)  # restarted before its old stream ended: reopen when it does
            return
        assert self.cursor is not None
        position = self.cursor.positions.get(target.id)
        since = docker_time(position[0]) if position else (docker_time(self.since) if self.since else None)
        self.skip[target.id] = position[1] if position else 0
        self.buffers[target.id] = ""
        self.followers[target.id] = Bridge(
            f"logs-{target.id}",
            lambda: self.docker.follow_logs(target.id, since=since, tail=None, tty=target.tty),
            lambda chunk: self._chunk(target, chunk),
            lambda _error: self._ended(target)).start()

    def _ended(self, target: Target) -> None:
        self.followers.pop(target.id, None)
        self._chunk(target, b"\n")  # a last line without its newline
        if target.id in self.reopen:
            self.reopen.discard(target.id)
            self._follow(target)

    def _watch_starts(self) -> None:
        """Containers that start later: from the host model's change feed (the API runs it), else from a
        Docker /events stream of our own."""
        model = self.core.live
        if model is not None:
            loop = asyncio.get_running_loop()

            def on_change(change: Any) -> None:
                if (change.kind == "container" and change.host == self.host and change.project == self.project
                        and change.action == "start" and change.event is not None):
                    loop.call_soon_threadsafe(self._started, change.event)

            self.subscription = model.feed.subscribe(on_change)
            return
        filters: dict[str, Any] = {"type": ["container"], "event": ["start"],
                                   "label": [f"{PROJECT_LABEL}={self.project}"]}
        self.events = Bridge(f"log-events-{self.project}", lambda: self.docker.follow_events(filters),
                             self._started, lambda _error: None).start()

    def _started(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        cid = str(event.get("id") or event.get("Actor", {}).get("ID") or "")[:12]
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        name = attrs.get("name") or cid
        target = self.targets.get(cid) or Target(cid, name, attrs.get(SERVICE_LABEL))
        if self.only is not None and cid not in self.targets:
            return
        self.targets[cid] = target
        self._follow(target)

    def _chunk(self, target: Target, chunk: bytes) -> None:
        assert self.cursor is not None
        text = self.buffers.get(target.id, "") + chunk.decode("utf-8", errors="replace")
        *complete, self.buffers[target.id] = text.split("\n")
        for raw in complete:
            parts = split_line(raw)
            if parts is None:
                continue
            ts = stamp_ns(parts[0])
            position = self.cursor.positions.get(target.id)
            if position and ts < position[0]:
                continue
            if position and ts == position[0] and self.skip.get(target.id, 0) > 0:
                self.skip[target.id] -= 1
                continue
            self.skip[target.id] = 0
            self.cursor.advance(target.id, ts)
            self.pending.append(LogLine(target.name, target.service, parts[0], parts[1], ts))
        if len(self.pending) >= BATCH_MAX:
            self._flush()
        elif self.pending and self.flush_handle is None:
            self.flush_handle = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._flush)

    def _flush(self) -> None:
        self.flush_handle = None
        if not self.pending or self.cursor is None:
            return
        lines, self.pending = self.pending, []
        self.queue.put_nowait(sse({"lines": [line.view() for line in lines], "backlog": False},
                                  event="lines", ident=self.cursor.encode()))

    def close(self) -> None:
        self.closed = True
        if self.subscription is not None:
            self.subscription.close()
        if self.flush_handle is not None:
            self.flush_handle.cancel()
        for bridge in [*self.followers.values(), *([self.events] if self.events else [])]:
            bridge.close()
        self.followers.clear()
