"""Stats: Docker's per-container stats streams, opened only while someone looks, shared by all who do.

The hub keeps at most one Docker stats stream per container, however many pages watch it; the stream
opens with the first subscriber and closes when the last one leaves. A stats SSE stream sends one
`stats` event a second with every watched container's latest sample and the sums per compose service
and per sdmd service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.concurrency import run_in_threadpool

from sdmd.core import Core
from sdmd.docker.gateway import PROJECT_LABEL, SERVICE_LABEL
from sdmd.errors import TooManyRequests
from sdmd.live.streams import Bridge, End, sse

log = logging.getLogger("sdmd.live.stats")

TICK_SECONDS = 1.0
RELIST_SECONDS = 5.0
TOTAL_FIELDS = ("cpu_percent", "memory_bytes", "memory_limit", "net_rx_bytes", "net_tx_bytes", "net_rx_rate",
                "net_tx_rate", "blk_read_bytes", "blk_write_bytes", "blk_read_rate", "blk_write_rate", "pids")


def _blkio(raw: dict[str, Any]) -> tuple[int, int]:
    read = write = 0
    for entry in (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        op = str(entry.get("op", "")).lower()
        if op == "read":
            read += int(entry.get("value") or 0)
        elif op == "write":
            write += int(entry.get("value") or 0)
    return read, write


def sample(raw: dict[str, Any], previous: dict[str, Any] | None = None, elapsed: float | None = None
           ) -> dict[str, Any]:
    """One Docker stats document as numbers; rates need the previous sample and the seconds between."""
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    cpu_percent = cpu_delta / system_delta * cpus * 100.0 if system_delta > 0 and cpu_delta > 0 else 0.0
    memory = raw.get("memory_stats") or {}
    details = memory.get("stats") or {}
    # What `docker stats` shows: usage without the page cache that can be reclaimed (cgroup v2, then v1).
    cache = details.get("inactive_file", details.get("total_inactive_file", 0)) or 0
    used = max(0, (memory.get("usage") or 0) - cache)
    limit = memory.get("limit") or 0
    networks = (raw.get("networks") or {}).values()
    rx = sum(int(n.get("rx_bytes") or 0) for n in networks)
    tx = sum(int(n.get("tx_bytes") or 0) for n in networks)
    blk_read, blk_write = _blkio(raw)
    out = {"cpu_percent": round(cpu_percent, 2), "memory_bytes": used, "memory_limit": limit,
           "memory_percent": round(used / limit * 100.0, 2) if limit else None,
           "net_rx_bytes": rx, "net_tx_bytes": tx, "blk_read_bytes": blk_read, "blk_write_bytes": blk_write,
           "pids": (raw.get("pids_stats") or {}).get("current"),
           "net_rx_rate": 0.0, "net_tx_rate": 0.0, "blk_read_rate": 0.0, "blk_write_rate": 0.0}
    if previous is not None and elapsed and elapsed > 0:
        for total, rate in (("net_rx_bytes", "net_rx_rate"), ("net_tx_bytes", "net_tx_rate"),
                            ("blk_read_bytes", "blk_read_rate"), ("blk_write_bytes", "blk_write_rate")):
            out[rate] = round(max(0, out[total] - previous.get(total, 0)) / elapsed, 1)
    return out


def totals(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {key: 0 for key in TOTAL_FIELDS}
    for s in samples:
        for key in TOTAL_FIELDS:
            out[key] += s.get(key) or 0
    out["cpu_percent"] = round(out["cpu_percent"], 2)
    out["containers"] = len(samples)
    return out


@dataclass
class _Feed:
    bridge: Bridge | None = None
    subscribers: set[Callable[[str, dict[str, Any]], None]] = field(default_factory=set)
    last: dict[str, Any] | None = None
    last_at: float = 0.0


class StatsHub:
    """One Docker stats stream per watched container, shared; lives in the API process's event loop."""

    def __init__(self, core: Core, max_containers: int) -> None:
        self.core = core
        self.max_containers = max_containers
        self.feeds: dict[str, _Feed] = {}

    def subscribe(self, container_id: str, callback: Callable[[str, dict[str, Any]], None]) -> None:
        feed = self.feeds.get(container_id)
        if feed is None:
            if len(self.feeds) >= self.max_containers:
                raise TooManyRequests("too many stats streams",
                                      f"{len(self.feeds)} containers are watched (SDMD_STATS_MAX_CONTAINERS)")
            feed = self.feeds[container_id] = _Feed()
            feed.bridge = Bridge(f"stats-{container_id}", lambda: self.core.docker.follow_stats(container_id),
                                 lambda raw: self._sample(container_id, raw),
                                 lambda _error: self._ended(container_id)).start()
        feed.subscribers.add(callback)
        if feed.last is not None:
            callback(container_id, feed.last)

    def unsubscribe(self, container_id: str, callback: Callable[[str, dict[str, Any]], None]) -> None:
        feed = self.feeds.get(container_id)
        if feed is None:
            return
        feed.subscribers.discard(callback)
        if not feed.subscribers:
            self.feeds.pop(container_id, None)
            if feed.bridge is not None:
                feed.bridge.close()

    def _sample(self, container_id: str, raw: dict[str, Any]) -> None:
        feed = self.feeds.get(container_id)
        if feed is None:
            return
        now = time.monotonic()
        feed.last = sample(raw, feed.last, now - feed.last_at if feed.last_at else None)
        feed.last_at = now
        for callback in list(feed.subscribers):
            callback(container_id, feed.last)

    def _ended(self, container_id: str) -> None:
        # The container stopped (or went away): forget the feed; a watcher's relisting resubscribes.
        feed = self.feeds.pop(container_id, None)
        if feed is not None:
            for callback in list(feed.subscribers):
                callback(container_id, {})

    def close(self) -> None:
        for feed in self.feeds.values():
            if feed.bridge is not None:
                feed.bridge.close()
        self.feeds.clear()


class StatsWatch:
    """One SSE stream's view: the running containers of some projects, re-listed every few seconds."""

    def __init__(self, core: Core, hub: StatsHub, queue: asyncio.Queue[bytes | End], *,
                 projects: dict[str, str] | None, detail: bool) -> None:
        # projects: {compose project: sdmd service id}; None means every compose project.
        self.core, self.hub, self.queue = core, hub, queue
        self.projects = projects
        self.detail = detail
        self.watched: dict[str, dict[str, Any]] = {}  # container id -> {name, service, project}
        self.latest: dict[str, dict[str, Any]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = False

    async def start(self) -> None:
        await self._relist()
        self.tasks.append(asyncio.create_task(self._tick()))
        self.tasks.append(asyncio.create_task(self._relist_forever()))

    def _on_sample(self, cid: str, value: dict[str, Any]) -> None:
        if value:
            self.latest[cid] = value
        else:
            self.latest.pop(cid, None)
            self.watched.pop(cid, None)

    async def _relist(self) -> None:
        raw = await run_in_threadpool(self.core.docker.compose_containers)
        running = {}
        for c in raw:
            labels = c.get("Labels") or {}
            project = labels.get(PROJECT_LABEL)
            if c.get("State") != "running" or (self.projects is not None and project not in self.projects):
                continue
            running[c["Id"][:12]] = {"name": (c.get("Names") or [c["Id"][:12]])[0].lstrip("/"),
                                     "service": labels.get(SERVICE_LABEL), "project": project}
        if self.closed:
            return
        for cid in list(self.watched):
            if cid not in running:
                self.hub.unsubscribe(cid, self._on_sample)
                self.watched.pop(cid, None)
                self.latest.pop(cid, None)
        for cid, info in running.items():
            if cid not in self.watched:
                try:
                    self.hub.subscribe(cid, self._on_sample)
                except TooManyRequests as exc:
                    log.warning("stats: %s", exc)
                    continue
                self.watched[cid] = info

    async def _relist_forever(self) -> None:
        while not self.closed:
            await asyncio.sleep(RELIST_SECONDS)
            try:
                await self._relist()
            except Exception as exc:  # Docker down for a moment: keep the stream, try again
                log.debug("stats relist: %s", exc)

    async def _tick(self) -> None:
        while not self.closed:
            await asyncio.sleep(TICK_SECONDS)
            if self.latest:
                self.queue.put_nowait(sse(self.snapshot(), event="stats"))

    def snapshot(self) -> dict[str, Any]:
        rows = [{"id": cid, **self.watched[cid], **value} for cid, value in self.latest.items() if cid in self.watched]
        by_project: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_project.setdefault(row["project"], []).append(row)
        data: dict[str, Any] = {"at": time.time(), "projects": {}}
        for project, members in by_project.items():
            entry = totals(members)
            entry["service_id"] = (self.projects or {}).get(project)
            data["projects"][project] = entry
        if self.detail:
            data["containers"] = sorted(rows, key=lambda r: (r["service"] or "", r["name"]))
            services: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                services.setdefault(row["service"] or row["name"], []).append(row)
            data["services"] = {name: totals(members) for name, members in services.items()}
        return data

    def close(self) -> None:
        self.closed = True
        for task in self.tasks:
            task.cancel()
        for cid in list(self.watched):
            self.hub.unsubscribe(cid, self._on_sample)
        self.watched.clear()
