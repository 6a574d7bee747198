"""The live model of every host, in the API process: one HostWatcher per host, kept in step with the
hosts table, and one change feed for all of them.

Started by the API's lifespan (SDMD_HOST_WATCH, on by default). Other processes (`sdmd worker`,
`sdmd reconcile`, a second API with the model off) do not run it: they read hosts through
sdmd/hosts/reader.py, which falls back to one direct listing. Host definitions changed by another
process are picked up within SDMD_HOST_SYNC_SECONDS (immediately for changes made in this one).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sdmd.db import Database
from sdmd.hosts import repository as repo
from sdmd.hosts.feed import ChangeFeed
from sdmd.hosts.registry import HostRegistry, HostSpec
from sdmd.hosts.watcher import HostSnapshot, HostWatcher

log = logging.getLogger("sdmd.hosts")


class LiveModel:
    def __init__(self, registry: HostRegistry, db: Database) -> None:
        self.registry = registry
        self.db = db
        self.settings = registry.settings
        self.feed = ChangeFeed()
        self._watchers: dict[str, HostWatcher] = {}  # by host id
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LiveModel:
        self.sync()
        self._thread = threading.Thread(target=self._sync_loop, name="sdmd-hosts-sync", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            watchers, self._watchers = list(self._watchers.values()), {}
        for watcher in watchers:
            watcher.stop()

    def _sync_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.settings.host_sync_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.sync()
            except Exception:  # e.g. the database is briefly unavailable: keep the watchers we have
                log.exception("could not re-read the hosts table")

    def nudge(self) -> None:
        """A host was added, changed or removed in this process: sync now."""
        self.registry.invalidate()
        self._wake.set()

    def sync(self) -> None:
        """One watcher per host at its current revision; watchers of removed hosts stop."""
        specs = {s.id: s for s in self.registry.all(fresh=True)}
        with self._lock:
            if self._stop.is_set():
                return
            stale = [self._watchers.pop(hid) for hid, w in list(self._watchers.items())
                     if hid not in specs or specs[hid].revision != w.revision]
            for hid, spec in specs.items():
                if hid not in self._watchers:
                    self._watchers[hid] = self._watch(spec)
        for watcher in stale:
            watcher.stop()

    def _watch(self, spec: HostSpec) -> HostWatcher:
        s = self.settings
        gateway = self.registry.gateway(spec)
        return HostWatcher(spec.name, spec.revision, gateway, self.feed, timeout=s.host_timeout_seconds,
                           ping_interval=s.host_ping_seconds, unreachable_after=s.host_unreachable_seconds,
                           backoff_max=s.host_backoff_max_seconds, resync_interval=s.host_resync_seconds,
                           on_engine=lambda engine: self._record_engine(spec, engine)).start()

    def _record_engine(self, spec: HostSpec, engine: dict[str, Any]) -> None:
        if spec.local or (spec.engine or {}).get("version") == engine.get("version"):
            return
        with self.db.session() as session:
            row = repo.get(session, spec.id)
            if row is not None:
                row.engine = engine

    # -- reading -----------------------------------------------------------------------------
    def watcher(self, name: str) -> HostWatcher | None:
        for watcher in list(self._watchers.values()):
            if watcher.host == name:
                return watcher
        return None

    def watcher_by_id(self, host_id: str) -> HostWatcher | None:
        return self._watchers.get(host_id)

    def snapshot(self, name: str, *, settle: bool = True) -> HostSnapshot | None:
        """The host's model now; `settle` first lets events Docker already sent land (see HostWatcher.settle)."""
        watcher = self.watcher(name)
        if watcher is None:
            return None
        if settle:
            watcher.settle()
        return watcher.snapshot

    def snapshots(self) -> dict[str, HostSnapshot]:
        return {w.host: w.snapshot for w in list(self._watchers.values())}

    def refresh_project(self, host: str, project: str) -> None:
        watcher = self.watcher(host)
        if watcher is not None:
            watcher.refresh_project(project)

    def wait_connected(self, timeout: float = 5.0) -> bool:
        """Until every host is connected, or `timeout` passed (one deadline for all)."""
        deadline = time.monotonic() + timeout
        return all([w.wait_connected(max(0.0, deadline - time.monotonic())) for w in list(self._watchers.values())])
