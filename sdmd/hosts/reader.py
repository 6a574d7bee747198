"""What every other domain reads about hosts: their state and compose containers.

In a process running the live model (the API) the answer comes from memory, with no Docker round
trip; a host that is not connected answers at once with its state and error. A process without it
(`sdmd worker`, `sdmd reconcile`, tests that use a bare Core) gets one direct /containers/json per
host instead, all hosts at once, each within SDMD_HOST_TIMEOUT_SECONDS: correct answers never depend
on some other process's watcher.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import DockerUnavailable, SdmdError
from sdmd.hosts.registry import HostSpec
from sdmd.hosts.watcher import CONNECTED, UNREACHABLE, HostSnapshot

if TYPE_CHECKING:
    from sdmd.core import Core

log = logging.getLogger("sdmd.hosts")

MISSING = "missing"  # a service names a host that is not configured (removed, or a typo in x-sdmd.host)


@dataclass(frozen=True)
class HostView:
    """One host's state and compose containers as this process sees them now."""

    host: str
    state: str
    since: datetime | None
    error: str | None
    containers: list[dict[str, Any]] = field(default_factory=list)
    snapshot: HostSnapshot | None = None  # when it came from the live model
    engine: dict[str, Any] | None = None

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED

    def project(self, name: str) -> list[dict[str, Any]]:
        if self.snapshot is not None:
            return self.snapshot.project(name)
        return [c for c in self.containers if (c.get("Labels") or {}).get(PROJECT_LABEL) == name]


def _from_snapshot(snap: HostSnapshot) -> HostView:
    return HostView(host=snap.host, state=snap.state, since=snap.since, error=snap.error,
                    containers=list(snap.containers.values()), snapshot=snap, engine=snap.engine)


def _direct(core: Core, spec: HostSpec) -> HostView:
    try:
        raw = core.hosts.gateway(spec).compose_containers(timeout=core.settings.host_timeout_seconds)
    except SdmdError as exc:
        reason = f"{exc.message}: {exc.details}" if exc.details else exc.message
        return HostView(host=spec.name, state=UNREACHABLE, since=datetime.now(UTC), error=reason)
    return HostView(host=spec.name, state=CONNECTED, since=None, error=None, containers=raw)


def views(core: Core, names: list[str] | None = None) -> dict[str, HostView]:
    """{host name: view} for every configured host (or those named)."""
    specs = [s for s in core.hosts.all() if names is None or s.name in names]
    live = core.live
    out: dict[str, HostView] = {}
    direct: list[HostSpec] = []
    for spec in specs:
        snap = live.snapshot(spec.name) if live is not None else None
        if snap is not None:
            out[spec.name] = _from_snapshot(snap)
        else:
            direct.append(spec)
    if len(direct) == 1:
        out[direct[0].name] = _direct(core, direct[0])
    elif direct:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(direct), 16)) as pool:
            for view in pool.map(lambda s: _direct(core, s), direct):
                out[view.host] = view
    return out


def view(core: Core, name: str) -> HostView:
    spec = core.hosts.find(name)
    if spec is None:
        return HostView(host=name, state=MISSING, since=None, error=f"host {name} is not configured")
    return views(core, [spec.name])[spec.name]


def project_containers(core: Core, host: str, project: str) -> list[dict[str, Any]]:
    """The containers of one project on one host, for an operation: raises when the host cannot answer."""
    spec = core.hosts.find(host)
    if spec is None:
        raise DockerUnavailable(details=f"host {host} is not configured (GET /api/hosts)")
    live = core.live
    snap = live.snapshot(spec.name) if live is not None else None
    if snap is None:
        return core.hosts.gateway(spec).compose_containers(project)
    if snap.state != CONNECTED:
        raise DockerUnavailable(details=f"host {host} is {snap.state}: {snap.error}")
    return snap.project(project)


def require_reachable(core: Core, host: str) -> None:
    """Before changing anything on a host: fail fast (503) when the live model knows it is down
    (a host whose first connection is still under way gets that long)."""
    live = core.live
    watcher = live.watcher(host) if live is not None else None
    if watcher is not None and watcher.starting:
        watcher.wait_connected(core.settings.ssh_connect_timeout_seconds + core.settings.host_timeout_seconds)
    snap = live.snapshot(host) if live is not None else None
    if snap is not None and snap.state != CONNECTED:
        raise DockerUnavailable(details=f"host {host} is {snap.state}: {snap.error}")


def after_change(core: Core, host: str, project: str) -> None:
    """sdmd changed `project` on `host`: the live model re-lists it now, so the next read sees it."""
    live = core.live
    if live is None:
        return
    try:
        live.refresh_project(host, project)
    except Exception as exc:  # the events will bring it in anyway; the change itself succeeded
        log.info("host %s: could not re-list %s after a change: %s", host, project, exc)
