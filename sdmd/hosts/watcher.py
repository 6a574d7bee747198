"""The live model of one host: its compose containers in memory, kept current by Docker's /events.

Two threads per host:
- the stream thread subscribes to /events FIRST and then takes a full listing (so no event falls
  between the two), marks the host `connected`, and queues every event it reads. When the stream
  breaks it marks the host `reconnecting` (since when, last error) and retries with doubling delays
  up to SDMD_HOST_BACKOFF_MAX_SECONDS; after SDMD_HOST_UNREACHABLE_SECONDS of failing (at once for a
  refused host key or bad TLS material) the host is `unreachable`; it keeps retrying.
- the refresh thread takes queued events in small batches and re-lists just those containers (one
  /containers/json filtered by id; a destroyed container is simply dropped), so the model holds
  exactly what `docker ps -a` shows, in its shape. Docker sends some events before its listing
  shows their effect (a natural exit's `die` comes before the container's state is saved, with
  network and mount cleanup in between, seconds on a busy host, and no other event follows): the
  model then shows what the event says (exited with its exit code, paused, the new health) at
  once, and asks again with growing delays until Docker's own entry agrees. When idle it pings the host every
  SDMD_HOST_PING_SECONDS: a daemon that hangs (SIGSTOP: connections open, nothing answers) is
  noticed within ping interval + timeout, and the stream is closed to reconnect.
Readers get an immutable `HostSnapshot` (one attribute read, no lock, no Docker call).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sdmd.docker import DockerGateway
from sdmd.docker.events import EventStream
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import Conflict, InvalidInput, SdmdError
from sdmd.hosts import events as docker_events
from sdmd.hosts.feed import ChangeFeed, ContainerChange, HostStateChange

log = logging.getLogger("sdmd.hosts")

CONNECTED = "connected"
RECONNECTING = "reconnecting"
UNREACHABLE = "unreachable"
STATES = (CONNECTED, RECONNECTING, UNREACHABLE)
CONNECTING = "connecting"  # the error text of a watcher's first attempt, before anything failed
BACKOFF_START = 0.1
COALESCE_SECONDS = 0.01  # events arriving this close together are re-listed in one call
BATCH_MAX = 200  # a bigger burst (compose up of a large project) is one full listing instead
SETTLE_SECONDS = 0.2  # longest a read waits for events already sent to reach the model
SETTLE_SLOW_SECONDS = 0.05  # ... and not at all once a re-list takes longer than this
# A listing that lags its event (see docker_events.implied) is asked again after 20 ms, then twice as long each time,
# until it agrees or LAG_GIVE_UP passed (the periodic full re-list covers anything stranger).
LAG_FIRST_CHECK = 0.02
LAG_MAX_CHECK = 2.0
LAG_GIVE_UP = 30.0
STOPPING = -1  # the epoch of the sentinel stop() queues; real epochs start at 0


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class HostSnapshot:
    host: str
    state: str
    since: datetime
    error: str | None
    containers: dict[str, dict[str, Any]]  # full container id -> its /containers/json entry
    generation: int
    engine: dict[str, Any] | None = None
    memo: dict[str, Any] = field(default_factory=dict, compare=False)  # consumers' derived data, per snapshot

    def derived(self, key: str, make: Callable[[HostSnapshot], Any]) -> Any:
        """`make(self)`, computed once per snapshot (e.g. the service views grouped by project)."""
        if key not in self.memo:
            self.memo[key] = make(self)
        return self.memo[key]

    def project(self, name: str) -> list[dict[str, Any]]:
        return [c for c in self.containers.values() if (c.get("Labels") or {}).get(PROJECT_LABEL) == name]


def _fatal(exc: BaseException) -> bool:
    """Errors retrying cannot fix without someone changing the host: a refused host key, bad material."""
    return isinstance(exc, Conflict | InvalidInput) or "certificate" in str(exc).lower()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SdmdError):
        return f"{exc.message}: {exc.details}" if exc.details else exc.message
    return f"{type(exc).__name__}: {exc}"


class HostWatcher:
    def __init__(self, host: str, revision: int, gateway: DockerGateway, feed: ChangeFeed, *, timeout: float,
                 ping_interval: float, unreachable_after: float, backoff_max: float, resync_interval: float,
                 on_engine: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.host = host
        self.revision = revision
        self.gateway = gateway
        self.feed = feed
        self.timeout = timeout
        self.ping_interval = ping_interval
        self.unreachable_after = unreachable_after
        self.backoff_max = backoff_max
        self.resync_interval = resync_interval
        self.on_engine = on_engine
        self.snapshot = HostSnapshot(host=host, state=RECONNECTING, since=_now(), error=CONNECTING, containers={},
                                     generation=0)
        self._events: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self._epoch = 0  # one per successful subscription; events of an older one are ignored
        self._stream: EventStream | None = None
        self._fetch = threading.Lock()  # one listing applied at a time, so an older answer never wins
        self._state = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_contact = 0.0
        self._last_full = 0.0
        # Read barrier (settle): events read off the stream vs events the refresh thread is done with.
        self._received = 0
        self._applied = 0
        self._progress = threading.Condition()
        self._busy_since: float | None = None  # a re-list for events is waiting on Docker since then
        # Containers whose listing still lags their latest event: id -> (event, first seen, next check, delay).
        self._lagging: dict[str, tuple[dict[str, Any], float, float, float]] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> HostWatcher:
        for target, name in ((self._stream_loop, "stream"), (self._refresh_loop, "refresh")):
            thread = threading.Thread(target=target, name=f"sdmd-host-{self.host}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._close_stream()
        self._events.put((STOPPING, {}))  # wakes the refresh thread from its wait for the next event
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def starting(self) -> bool:
        """Not connected yet, and no attempt has failed either: the first connection is under way."""
        snap = self.snapshot
        return snap.state == RECONNECTING and snap.error == CONNECTING

    def wait_connected(self, timeout: float) -> bool:
        """Until connected, or the first attempt failed (no use waiting through the backoff), or `timeout`."""
        deadline = time.monotonic() + timeout
        while self.snapshot.state != CONNECTED and self.starting and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.snapshot.state == CONNECTED

    # -- state ------------------------------------------------------------------------------
    def _publish(self, **changes: Any) -> HostSnapshot:
        old = self.snapshot
        new = HostSnapshot(**{"host": old.host, "state": old.state, "since": old.since, "error": old.error,
                              "containers": old.containers, "generation": old.generation + 1,
                              "engine": old.engine, **changes})
        self.snapshot = new
        if new.state != old.state:
            log.info("host %s: %s%s", self.host, new.state, f" ({new.error})" if new.error else "")
            self.feed.publish(HostStateChange(host=self.host, state=new.state, previous=old.state, since=new.since,
                                              error=new.error))
        return new

    def _failed(self, exc: BaseException) -> None:
        """Lost (or could not get) the connection: reconnecting, or unreachable once it lasted long enough."""
        with self._state:
            snap = self.snapshot
            since = snap.since if snap.state != CONNECTED else _now()
            state = UNREACHABLE if _fatal(exc) or (_now() - since).total_seconds() >= self.unreachable_after \
                else RECONNECTING
            if snap.state != state or snap.error != _reason(exc):
                self._publish(state=state, since=since, error=_reason(exc))

    def _fail(self, exc: BaseException) -> None:
        """A call failed while connected: mark it and close the stream, so the stream thread reconnects."""
        self._failed(exc)
        self._close_stream()

    def _close_stream(self) -> None:
        stream = self._stream
        if stream is not None:
            stream.close()

    # -- the stream thread ---------------------------------------------------------------------
    def _stream_loop(self) -> None:
        delay = BACKOFF_START
        while not self._stop.is_set():
            stream = None
            try:
                stream = self.gateway.open_events(timeout=self.timeout)  # subscribe first ...
                self._stream = stream
                if self._stop.is_set():
                    break
                epoch = self._resync(connecting=True)  # ... then list: no event falls in between
                delay = BACKOFF_START
                for event in stream:
                    with self._progress:
                        self._received += 1
                    self._events.put((epoch, event))
                if self._stop.is_set():
                    break
                raise ConnectionError("the event stream ended")
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.debug("host %s: %s", self.host, _reason(exc))
                self._failed(exc)
            finally:
                if stream is not None:
                    stream.close()
                self._stream = None
            self._stop.wait(delay)
            delay = min(delay * 2, self.backoff_max)

    def _resync(self, *, connecting: bool = False) -> int:
        """A full listing replaces the model; differences are published as "resync" changes."""
        with self._fetch:
            raw = self.gateway.compose_containers(timeout=self.timeout)
            engine = None
            if connecting:
                engine = self.gateway.version(timeout=self.timeout)
            now = time.monotonic()
            self._last_contact = self._last_full = now
            fresh = {c["Id"]: c for c in raw}
            with self._state:
                old = self.snapshot.containers
                if connecting:
                    self._lagging.clear()  # a new subscription: its full listing is the truth
                else:
                    self._keep_implied(fresh, old)
                if connecting:
                    self._epoch += 1
                    info = {"version": engine.get("Version"), "api_version": engine.get("ApiVersion"),
                            "os": engine.get("Os"), "arch": engine.get("Arch"),
                            "kernel": engine.get("KernelVersion")} if engine else None
                    self._publish(state=CONNECTED, since=_now(), error=None, containers=fresh, engine=info)
                else:
                    self._publish(containers=fresh)
                epoch = self._epoch
        if connecting and self.on_engine and engine:
            try:
                self.on_engine(self.snapshot.engine or {})
            except Exception:  # bookkeeping only
                log.exception("host %s: could not record the engine version", self.host)
        for cid in old.keys() | fresh.keys():
            before, after = old.get(cid), fresh.get(cid)
            if before != after and (before is None or after is None or docker_events.differs(before, after)):
                self.feed.publish(ContainerChange(host=self.host, container_id=cid,
                                                  project=docker_events.project_of(after or before, None),
                                                  action="resync", event=None, container=after, previous=before))
        return epoch

    # -- the refresh thread --------------------------------------------------------------------
    def _refresh_loop(self) -> None:
        while not self._stop.is_set():
            try:
                epoch, event = self._events.get(timeout=self._next_wait())
            except queue.Empty:
                self._idle()
                continue
            if epoch == STOPPING:
                return
            batch = [(epoch, event)]
            deadline = time.monotonic() + COALESCE_SECONDS
            while len(batch) < BATCH_MAX * 4:
                try:
                    batch.append(self._events.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            current = [e for ep, e in batch if ep == self._epoch]
            images_moved = any(docker_events.moves_an_image(e) for e in current)
            events = [e for e in current if docker_events.changes_the_listing(e)]
            try:
                if events and self.snapshot.state == CONNECTED:
                    self._apply(events)
                if images_moved and self.snapshot.state == CONNECTED:
                    self._resync()
            except Exception as exc:
                if not self._stop.is_set():
                    self._fail(exc)
            finally:
                with self._progress:
                    self._applied += len(batch)
                    self._progress.notify_all()
            if self._lagging and self._next_wait() == 0:  # a steady stream of events must not starve them
                self._idle()

    def _next_wait(self) -> float:
        """How long the refresh thread may wait for an event: until the next lagging check, or a ping."""
        if not self._lagging:
            return self.ping_interval
        due = min(entry[2] for entry in list(self._lagging.values()))
        return max(0.0, min(self.ping_interval, due - time.monotonic()))

    def _idle(self) -> None:
        if self.snapshot.state != CONNECTED or self._stop.is_set():
            return
        try:
            if self._lagging:
                self._recheck_lagging()
            if time.monotonic() - self._last_full >= self.resync_interval:
                self._resync()
            elif time.monotonic() - self._last_contact >= self.ping_interval:
                self.gateway.ping(timeout=self.timeout)
                self._last_contact = time.monotonic()
        except Exception as exc:
            if not self._stop.is_set():
                self._fail(exc)

    def _apply(self, events: list[dict[str, Any]]) -> None:
        ids: list[str] = []
        last: dict[str, dict[str, Any]] = {}  # each container's latest event
        for e in events:
            cid = e.get("id") or (e.get("Actor") or {}).get("ID")
            if not cid:
                continue
            if cid not in last:
                ids.append(cid)
            last[cid] = docker_events.with_exit_code(e, last.get(cid))
        fetch = [cid for cid in ids if last[cid].get("Action") != "destroy"]
        with self._fetch:
            epoch = self._epoch
            if len(fetch) > BATCH_MAX:
                fresh = {c["Id"]: c for c in self._listing(lambda: self.gateway.compose_containers(
                    timeout=self.timeout))}
                full = True
            else:
                fresh = {c["Id"]: c for c in self._listing(lambda: self.gateway.containers_by_id(
                    fetch, timeout=self.timeout))}
                full = False
            self._last_contact = time.monotonic()
            with self._state:
                if epoch != self._epoch:
                    return  # reconnected meanwhile: the new full listing is newer than this answer
                old = self.snapshot.containers
                if full:
                    self._keep_implied(fresh, old, skip=last.keys())
                self._track_lag(fresh, last)
                new = dict(fresh) if full else dict(old)
                if not full:
                    for cid in ids:
                        if cid in fresh:
                            new[cid] = fresh[cid]
                        else:
                            new.pop(cid, None)
                self._publish(containers=new)
        for e in events:
            cid = e.get("id") or (e.get("Actor") or {}).get("ID")
            if cid:
                self.feed.publish(ContainerChange(host=self.host, container_id=cid,
                                                  project=docker_events.project_of(new.get(cid) or old.get(cid), e),
                                                  action=e.get("Action") or "", event=e, container=new.get(cid),
                                                  previous=old.get(cid)))

    def _listing(self, call: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """One Docker call for events, timed: a reader stops waiting for it once it is slow (settle)."""
        self._busy_since = time.monotonic()
        try:
            return call()
        finally:
            self._busy_since = None

    # -- listings that lag their events -----------------------------------------------------------
    def _track_lag(self, fresh: dict[str, dict[str, Any]], last: dict[str, dict[str, Any]]) -> None:
        """Where the listing does not show yet what a container's latest event says, put what the event
        implies in its place and check again later; where it does, the container is no longer lagging.
        Called with the state lock held."""
        now = time.monotonic()
        for cid, event in last.items():
            entry = fresh.get(cid)
            if entry is None:
                self._lagging.pop(cid, None)  # destroyed (or never a compose container)
                continue
            implied = docker_events.implied(event, entry)
            if implied is None:
                self._lagging.pop(cid, None)
                continue
            fresh[cid] = implied
            first = self._lagging.get(cid, (event, now, now, LAG_FIRST_CHECK))[1]
            self._lagging[cid] = (event, first, now + LAG_FIRST_CHECK, LAG_FIRST_CHECK)

    def _keep_implied(self, fresh: dict[str, dict[str, Any]], old: dict[str, dict[str, Any]], *,
                      covers: set[str] | None = None, skip: Iterable[str] = ()) -> None:
        """A listing taken while some containers still lag their events keeps what those events implied.
        `covers`: the ids the listing answers for (None: every container); `skip`: ids that newer events
        in hand decide. Called with the state lock held."""
        skipped = set(skip)
        for cid, (event, *_rest) in list(self._lagging.items()):
            if cid in skipped or (covers is not None and cid not in covers):
                continue
            if cid in fresh and cid in old and docker_events.implied(event, fresh[cid]) is not None:
                fresh[cid] = old[cid]
            else:
                self._lagging.pop(cid, None)  # gone, or Docker's listing agrees now

    def _recheck_lagging(self) -> None:
        """Ask Docker again for the lagging containers that are due; take its entry once it agrees."""
        now = time.monotonic()
        due = [cid for cid, (_, _, at, _) in list(self._lagging.items()) if at <= now]
        if not due:
            return
        with self._fetch:
            epoch = self._epoch
            fresh = {c["Id"]: c for c in self._listing(lambda: self.gateway.containers_by_id(
                due, timeout=self.timeout))}
            self._last_contact = time.monotonic()
            with self._state:
                if epoch != self._epoch:
                    return
                old = self.snapshot.containers
                new = dict(old)
                changed: list[str] = []
                for cid in due:
                    kept = self._lagging.get(cid)
                    if kept is None:
                        continue
                    event, first, _, delay = kept
                    entry = fresh.get(cid)
                    if entry is None:  # removed meanwhile (its destroy event is on its way too)
                        self._lagging.pop(cid, None)
                        if new.pop(cid, None) is not None:
                            changed.append(cid)
                        continue
                    if docker_events.implied(event, entry) is None or time.monotonic() - first >= LAG_GIVE_UP:
                        self._lagging.pop(cid, None)  # Docker's entry agrees now: it replaces ours
                        if new.get(cid) != entry:
                            new[cid] = entry
                            changed.append(cid)
                    else:
                        delay = min(delay * 2, LAG_MAX_CHECK)
                        self._lagging[cid] = (event, first, time.monotonic() + delay, delay)
                if changed:
                    self._publish(containers=new)
        for cid in changed:
            before, after = old.get(cid), new.get(cid)
            if before is None or after is None or docker_events.differs(before, after):
                # Docker's own entry says more than the event did (e.g. restarting, not exited).
                self.feed.publish(ContainerChange(host=self.host, container_id=cid, action="resync",
                                                  project=docker_events.project_of(after or before, None),
                                                  event=None, container=after, previous=before))

    def settle(self, max_wait: float = SETTLE_SECONDS) -> None:
        """Let events Docker already sent reach the model before a read (bounded by `max_wait`).

        Docker publishes a change's events before it answers the call that made it, so after
        `docker stop` (or compose) returns, its events are on our socket or in the queue: waiting for
        just those makes a read right after a change see it. Local checks only (a counter, one
        select); no wait at all when nothing is pending, or when re-listing is itself slow (a host
        that hangs must not slow the reader).
        """
        if self.snapshot.state != CONNECTED:
            return
        deadline = time.monotonic() + max_wait
        stream = self._stream
        with self._progress:
            target = self._received
        if stream is not None and stream.has_unread():
            target += 1  # at least one more event is on its way into the queue
        with self._progress:
            while self._applied < target:
                busy = self._busy_since
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (busy is not None and time.monotonic() - busy > SETTLE_SLOW_SECONDS):
                    return
                self._progress.wait(min(remaining, 0.005))
                if self._received < target and stream is not None and not stream.has_unread() \
                        and self._events.empty() and self._applied >= self._received:
                    return  # the unread bytes were not an event after all

    def refresh_project(self, project: str) -> None:
        """Read-your-writes: after sdmd itself changed `project`, re-list it now rather than wait for events."""
        if self.snapshot.state != CONNECTED:
            return
        with self._fetch:
            raw = self.gateway.compose_containers(project, timeout=self.timeout)
            with self._state:
                old = self.snapshot.containers
                fresh = {c["Id"]: c for c in raw}
                new = {cid: c for cid, c in old.items() if (c.get("Labels") or {}).get(PROJECT_LABEL) != project}
                self._keep_implied(fresh, old, covers=(old.keys() - new.keys()) | fresh.keys())
                new.update(fresh)
                self._publish(containers=new)
