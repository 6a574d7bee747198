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
from sdmd.hosts import reader
from sdmd.live.streams import Bridge, End, sse
from sdmd.services import repository as services_repo
from sdmd.services.service import unmanaged_id

log = logging.getLogger("sdmd.live.stats")

TICK_SECONDS = 1.0
RELIST_SECONDS = 5.0
ENDED_RELIST_SECONDS = 1.0  # after Docker ended a stream: not at once, so one that keeps failing costs little
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


Sampled = Callable[[str, dict[str, Any]], None]  # (key "host/container id", sample; {} once it ended)


class StatsHub:
    """One Docker stats stream per watched container, shared; lives in the API process's event loop."""

    def __init__(self, core: Core, max_containers: int) -> None:
        self.core = core
        self.max_containers = max_containers
        self.feeds: dict[str, _Feed] = {}  # by "host/container id"

    def subscribe(self, host: str, container_id: str, callback: Sampled) -> str:
        key = f"{host}/{container_id}"
        feed = self.feeds.get(key)
        if feed is None:
            if len(self.feeds) >= self.max_containers:
                raise TooManyRequests("too many stats streams",
                                      f"{len(self.feeds)} containers are watched (SDMD_STATS_MAX_CONTAINERS)")
            gateway = self.core.gateway(host)
            feed = self.feeds[key] = _Feed()
            feed.bridge = Bridge(f"stats-{container_id}", lambda: gateway.follow_stats(container_id),
                                 lambda raw: self._sample(key, raw), lambda _error: self._ended(key)).start()
        feed.subscribers.add(callback)
        if feed.last is not None:
            callback(key, feed.last)
        return key

    def unsubscribe(self, key: str, callback: Sampled) -> None:
        feed = self.feeds.get(key)
        if feed is None:
            return
        feed.subscribers.discard(callback)
        if not feed.subscribers:
            self.feeds.pop(key, None)
            if feed.bridge is not None:
                feed.bridge.close()

    def _sample(self, key: str, raw: dict[str, Any]) -> None:
        feed = self.feeds.get(key)
        if feed is None:
            return
        now = time.monotonic()
        feed.last = sample(raw, feed.last, now - feed.last_at if feed.last_at else None)
        feed.last_at = now
        for callback in list(feed.subscribers):
            callback(key, feed.last)

    def _ended(self, key: str) -> None:
        # The container stopped (or went away): forget the feed; the watchers relist and resubscribe.
        feed = self.feeds.pop(key, None)
        if feed is not None:
            for callback in list(feed.subscribers):
                callback(key, {})

    def close(self) -> None:
        for feed in self.feeds.values():
            if feed.bridge is not None:
                feed.bridge.close()
        self.feeds.clear()


class StatsWatch:
    """One SSE stream's view: the running containers of some services, relisted when the host model
    reports a container change (or every few seconds in a process without the model)."""

    def __init__(self, core: Core, hub: StatsHub, queue: asyncio.Queue[bytes | End], *,
                 services: dict[tuple[str, str], str] | None, detail: bool) -> None:
        # services: {(host, compose project): sdmd service id}; None means every compose project of every host.
        self.core, self.hub, self.queue = core, hub, queue
        self.services = services
        self.detail = detail
        self.watched: dict[str, dict[str, Any]] = {}  # "host/container id" -> {id, name, service, project, host}
        self.latest: dict[str, dict[str, Any]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.managed_ids: dict[tuple[str, str], str] = {}
        self.subscription: Any = None
        self.relist_soon: asyncio.TimerHandle | None = None
        self.relisting = asyncio.Lock()
        self.closed = False

    async def start(self) -> None:
        model = self.core.live
        if model is not None:
            loop = asyncio.get_running_loop()

            def on_change(change: Any) -> None:
                if change.kind == "host" or self.services is None or (change.host, change.project) in self.services:
                    loop.call_soon_threadsafe(self._schedule_relist)

            # Before the first listing: a container that starts between the listing and the subscription
            # would otherwise go unwatched until the next change.
            self.subscription = model.feed.subscribe(on_change)
        await self._relist()
        self.tasks.append(asyncio.create_task(self._tick()))
        if model is None:
            self.tasks.append(asyncio.create_task(self._relist_forever()))

    def _schedule_relist(self, delay: float = 0.2) -> None:
        if self.relist_soon is None and not self.closed:
            self.relist_soon = asyncio.get_running_loop().call_later(delay, self._relist_now)

    def _relist_now(self) -> None:
        self.relist_soon = None
        if not self.closed:
            self.tasks.append(asyncio.create_task(self._relist()))
            self.tasks = [t for t in self.tasks if not t.done()]

    def _on_sample(self, key: str, value: dict[str, Any]) -> None:
        if value:
            self.latest[key] = value
        else:
            self.latest.pop(key, None)
            self.watched.pop(key, None)
            # Docker ended the stream: the container stopped (the next listing drops it) or the stream broke
            # while it runs on (the next listing opens it again); no model change need follow either.
            self._schedule_relist(ENDED_RELIST_SECONDS)

    def _running(self) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """The running containers of interest, and the hosts that answered (a host that is reconnecting
        says nothing about its containers: what is watched there stays watched)."""
        hosts = None if self.services is None else sorted({host for host, _ in self.services})
        if self.services is None:  # every project: the managed ones go by their service id
            with self.core.db.sessions() as session:
                self.managed_ids = {(c.host, c.name): c.id for c in services_repo.all_configs(session)}
        running, answered = {}, set()
        for host, view in reader.views(self.core, hosts).items():
            if not view.connected:
                continue
            answered.add(host)
            for c in view.containers:
                labels = c.get("Labels") or {}
                project = labels.get(PROJECT_LABEL)
                if c.get("State") != "running" or not project:
                    continue
                if self.services is not None and (host, project) not in self.services:
                    continue
                cid = c["Id"][:12]
                running[f"{host}/{cid}"] = {"id": cid, "name": (c.get("Names") or [cid])[0].lstrip("/"),
                                            "service": labels.get(SERVICE_LABEL), "project": project, "host": host}
        return running, answered

    async def _relist(self) -> None:
        # One at a time: a listing read earlier but applied later would unwatch a container it had not
        # seen start yet, and no change would follow to list it again.
        async with self.relisting:
            await self._relist_once()

    async def _relist_once(self) -> None:
        try:
            running, answered = await run_in_threadpool(self._running)
        except Exception as exc:  # a host down for a moment: keep the stream, try again on the next change
            log.debug("stats relist: %s", exc)
            return
        if self.closed:
            return
        for key in list(self.watched):
            if key not in running and self.watched[key]["host"] in answered:
                self.hub.unsubscribe(key, self._on_sample)
                self.watched.pop(key, None)
                self.latest.pop(key, None)
        for key, info in running.items():
            if key not in self.watched:
                try:
                    self.hub.subscribe(info["host"], info["id"], self._on_sample)
                except TooManyRequests as exc:
                    log.warning("stats: %s", exc)
                    continue
                self.watched[key] = info

    async def _relist_forever(self) -> None:
        while not self.closed:
            await asyncio.sleep(RELIST_SECONDS)
            await self._relist()

    async def _tick(self) -> None:
        while not self.closed:
            await asyncio.sleep(TICK_SECONDS)
            if self.latest:
                self.queue.put_nowait(sse(self.snapshot(), event="stats"))

    def _service_id(self, host: str, project: str) -> str:
        known = self.services if self.services is not None else self.managed_ids
        return known.get((host, project)) or unmanaged_id(host, project)

    def snapshot(self) -> dict[str, Any]:
        rows = [{**self.watched[key], **value} for key, value in self.latest.items() if key in self.watched]
        by_project: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            by_project.setdefault((row["host"], row["project"]), []).append(row)
        data: dict[str, Any] = {"at": time.time(), "by_service": {}}
        for (host, project), members in by_project.items():
            data["by_service"][self._service_id(host, project)] = {**totals(members), "name": project, "host": host}
        if self.detail:
            data["containers"] = sorted(rows, key=lambda r: (r["service"] or "", r["name"]))
            compose_services: dict[str, list[dict[str, Any]]] = {}
            for row in rows:
                compose_services.setdefault(row["service"] or row["name"], []).append(row)
            data["compose_services"] = {name: totals(members) for name, members in compose_services.items()}
        return data

    def close(self) -> None:
        self.closed = True
        if self.subscription is not None:
            self.subscription.close()
        if self.relist_soon is not None:
            self.relist_soon.cancel()
        for task in self.tasks:
            task.cancel()
        for key in list(self.watched):
            self.hub.unsubscribe(key, self._on_sample)
        self.watched.clear()
