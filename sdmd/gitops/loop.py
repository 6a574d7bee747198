"""The API process's background reconcile: a file watcher on the stacks folder plus a periodic round.

One worker thread runs every reconcile, so rounds never overlap within the process; the watcher
thread only tells it which folders changed. Another process (`sdmd reconcile`) may run at the same
time: the per-stack and repository locks are cross-process.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchfiles import DefaultFilter, watch

from sdmd.core import Core

log = logging.getLogger("sdmd.gitops")

_loops: weakref.WeakKeyDictionary[Core, GitopsLoop] = weakref.WeakKeyDictionary()


class _StacksFilter(DefaultFilter):
    # sdmd's own scratch files (validation drafts, atomic-write temporaries) are not edits.
    ignore_entity_patterns = (*DefaultFilter.ignore_entity_patterns, r"^\.draft-", r"^\.compose\..*\.tmp$")


class GitopsLoop:
    def __init__(self, core: Core, *, watch_files: bool = True) -> None:
        self.core = core
        self.watch_files = watch_files
        self.interval = core.settings.reconcile_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._full = True  # the first round catches up with edits made while sdmd was not running
        self._names: set[str] = set()
        self._threads: list[threading.Thread] = []
        self.rounds = 0

    def start(self) -> None:
        self._threads.append(threading.Thread(target=self._run, name="sdmd-gitops-reconcile", daemon=True))
        if self.watch_files:
            self._threads.append(threading.Thread(target=self._watch, name="sdmd-gitops-watch", daemon=True))
        for thread in self._threads:
            thread.start()
        _loops[self.core] = self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        _loops.pop(self.core, None)

    def trigger(self, names: set[str] | None = None) -> None:
        with self._guard:
            if names is None:
                self._full = True
            else:
                self._names |= names
        self._wake.set()

    def _run(self) -> None:
        from sdmd.gitops.reconcile import reconcile

        next_full = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(timeout=max(0.0, next_full - time.monotonic()))
            if self._stop.is_set():
                break
            self._wake.clear()
            with self._guard:
                full = self._full or time.monotonic() >= next_full
                names, self._names, self._full = self._names, set(), False
            try:
                if full:
                    next_full = time.monotonic() + self.interval
                    reconcile(self.core)
                elif names:
                    reconcile(self.core, names=names, remote_sync=False, trigger="watch")
            except Exception:  # the loop outlives any one bad round
                log.exception("gitops reconcile round failed")
            self.rounds += 1

    def _watch(self) -> None:
        root = Path(self.core.stacks.root).resolve()
        try:
            for changes in watch(root, watch_filter=_StacksFilter(), stop_event=self._stop, debounce=400,
                                 rust_timeout=1000, raise_interrupt=False):
                names = set()
                for _, path in changes:
                    try:
                        relative = Path(path).resolve().relative_to(root)
                    except ValueError:
                        continue
                    if relative.parts:
                        names.add(relative.parts[0])
                if names:
                    self.trigger(names)
        except Exception:
            log.exception("the stacks folder watcher stopped; the periodic reconcile continues")


def nudge(core: Core) -> None:
    """After an API commit: let the running loop push it (and pull) soon, outside the request."""
    loop = _loops.get(core)
    if loop is not None and core.settings.git_remote:
        loop.trigger()


@contextmanager
def running(core: Core) -> Iterator[GitopsLoop | None]:
    """For the app's lifespan: the watcher and periodic reconcile, unless SDMD_GITOPS_WATCH=false."""
    if not core.settings.gitops_watch:
        yield None
        return
    loop = GitopsLoop(core)
    loop.start()
    try:
        yield loop
    finally:
        loop.stop()
