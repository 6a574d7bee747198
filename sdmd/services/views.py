"""The read side of services: what GET /api/services (and one service) answers, on every host.

Answered from each host's live model (sdmd/hosts/reader.py), so no Docker round trip on the hot
path; a host that is not connected answers at once, its services `unknown` with the host's error.
"""

from __future__ import annotations

from typing import Any

from sdmd.core import Core
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import Conflict, DockerUnavailable, NotFound
from sdmd.gitops import hooks as gitops
from sdmd.hosts import reader
from sdmd.hosts.reader import MISSING, HostView
from sdmd.services import placement
from sdmd.services import repository as repo
from sdmd.services.definition import warnings_for
from sdmd.services.models import DockerServiceConfig
from sdmd.services.runtime import UNKNOWN, group_by_project, overall_status
from sdmd.updates.status import update_available_for, updates_available

UNMANAGED_PREFIX = "ext_"


def unmanaged_id(host: str, project: str) -> str:
    """`ext_<project>` on local, `ext_<host>.<project>` elsewhere ("." is in no host or project name)."""
    return f"{UNMANAGED_PREFIX}{project}" if host == placement.LOCAL else f"{UNMANAGED_PREFIX}{host}.{project}"


def view_of(config: DockerServiceConfig | None, name: str, host: HostView, containers: list[dict], *,
            with_compose: bool = False, update_available: bool = False) -> dict[str, Any]:
    known = host.connected
    view: dict[str, Any] = {
        "id": config.id if config else unmanaged_id(host.host, name),
        "name": name,
        "host": host.host,
        "host_state": host.state,
        "host_error": None if known else host.error,
        "managed": config is not None,
        # A host that is not connected: its services' state is not known, whatever it was last.
        "status": overall_status(containers) if known else UNKNOWN,
        "containers": containers,
        "content_hash": config.content_hash if config else None,
        "created_at": config.created_at if config else None,
        "updated_at": config.updated_at if config else None,
        "update_available": update_available,  # schedules/updates (issue 4)
    }
    if with_compose:
        view["compose"] = config.compose_text if config else None
        view["warnings"] = warnings_for(view["compose"])
    return view


def _grouped(host: HostView) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """({project: container views}, {project: raw containers}), once per live-model snapshot."""
    def make(containers: list[dict]) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
        raw: dict[str, list[dict]] = {}
        for c in containers:
            project = (c.get("Labels") or {}).get(PROJECT_LABEL)
            if project:
                raw.setdefault(project, []).append(c)
        return group_by_project(containers), raw

    if host.snapshot is not None:
        return host.snapshot.derived("services.grouped", lambda snap: make(list(snap.containers.values())))
    return make(host.containers)


def missing_host(name: str) -> HostView:
    return HostView(host=name, state=MISSING, since=None,
                    error=f"host {name} is not configured: the service is orphaned until a host of that name "
                          "exists again (POST /api/hosts), or it is moved or deleted")


def list_services(core: Core, *, host: str | None = None,
                  host_views: dict[str, HostView] | None = None) -> list[dict[str, Any]]:
    """Every service on every host (or on `host`): from the live model, no Docker call when it runs.
    `host_views` are the hosts' views when the caller already read them (reader.views)."""
    with core.db.sessions() as session:
        configs = repo.all_configs(session)
        available = updates_available(session)
    if host is not None:
        host = core.hosts.get(host).name
    everywhere = host_views if host_views is not None else reader.views(core)
    if not any(v.connected for v in everywhere.values()):
        # Nothing at all can be said (the one-machine case: its daemon is down): an error, not a list of unknowns.
        raise DockerUnavailable(details="; ".join(f"host {v.host}: {v.error}" for v in everywhere.values()))
    hosts = {name: v for name, v in everywhere.items() if host is None or name == host}
    grouped = {name: _grouped(view) for name, view in hosts.items()}
    views: list[dict[str, Any]] = []
    raw_by_id: dict[str, list[dict] | None] = {}
    managed: dict[str, set[str]] = {}
    for c in configs:
        if host is not None and c.host != host:
            continue
        hv = hosts.get(c.host) or missing_host(c.host)
        container_views, raw = grouped.get(c.host, ({}, {}))
        views.append(view_of(c, c.name, hv, container_views.get(c.name, []), update_available=c.id in available))
        raw_by_id[c.id] = raw.get(c.name, []) if hv.connected else None
        managed.setdefault(c.host, set()).add(c.name)
    for name, hv in hosts.items():
        container_views, _ = grouped[name]
        taken = managed.get(name, set())
        views.extend(view_of(None, project, hv, containers)
                     for project, containers in sorted(container_views.items()) if project not in taken)
    gitops.annotate(core, views, raw_by_id)  # gitops: drift + reconcile state, from the same containers
    return views


def resolve(core: Core, service_id: str) -> tuple[DockerServiceConfig | None, str, str]:
    """(config, name, host): a managed service by id (or name), else an unmanaged project by its `ext_` id."""
    with core.db.sessions() as session:
        config = repo.get(session, service_id) or repo.get_by_name(session, service_id)
    if config:
        return config, config.name, config.host
    if service_id.startswith(UNMANAGED_PREFIX):
        rest = service_id.removeprefix(UNMANAGED_PREFIX)
        host, _, project = rest.rpartition(".")
        host = host or placement.LOCAL
        if core.hosts.find(host) is not None and reader.view(core, host).project(project):
            return None, project, host
    raise NotFound("service not found", f"No service with ID {service_id} exists")


def managed(core: Core, service_id: str) -> DockerServiceConfig:
    config, name, _ = resolve(core, service_id)
    if config is None:
        raise Conflict("service is not managed by sdmd",
                       f"{name} is a compose project sdmd did not create; it is read-only")
    return config


def get_service(core: Core, service_id: str) -> dict[str, Any]:
    config, name, host = resolve(core, service_id)
    hv = reader.view(core, host) if core.hosts.find(host) is not None else missing_host(host)
    raw = hv.project(name) if hv.connected else []
    available = False
    if config is not None:
        with core.db.sessions() as session:
            available = update_available_for(session, config.id)
    view = view_of(config, name, hv, group_by_project(raw).get(name, []) if hv.connected else [],
                   with_compose=True, update_available=available)
    gitops.annotate(core, [view], {view["id"]: raw if hv.connected else None})  # gitops
    return view
