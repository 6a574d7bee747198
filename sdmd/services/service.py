"""Service operations: validate, write the compose file, apply it, mirror it, audit it.

Each operation holds the stack's lock for its whole write-apply-mirror sequence and owns its
unit of work, so the file, Docker and the database change together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sdmd.audit.log import AuditScope, audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.docker import DockerGateway
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import Conflict, DockerUnavailable, InvalidInput, NotFound, SdmdError
from sdmd.gitops import hooks as gitops
from sdmd.hosts import reader
from sdmd.hosts.reader import MISSING, HostView
from sdmd.services import move, placement
from sdmd.services import repository as repo
from sdmd.services.changes import Definition, preview, validate
from sdmd.services.definition import content_hash, validate_name, warnings_for
from sdmd.services.editing import document_of
from sdmd.services.models import DockerServiceConfig
from sdmd.services.runtime import UNKNOWN, group_by_project, overall_status
from sdmd.updates.status import update_available_for, updates_available

log = logging.getLogger("sdmd.services")

UNMANAGED_PREFIX = "ext_"


def unmanaged_id(host: str, project: str) -> str:
    """`ext_<project>` on local, `ext_<host>.<project>` elsewhere ("." is in no host or project name)."""
    return f"{UNMANAGED_PREFIX}{project}" if host == placement.LOCAL else f"{UNMANAGED_PREFIX}{host}.{project}"


def _view(config: DockerServiceConfig | None, name: str, host: HostView, containers: list[dict], *,
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


def _missing_host(name: str) -> HostView:
    return HostView(host=name, state=MISSING, since=None,
                    error=f"host {name} is not configured: the service is orphaned until a host of that name "
                          "exists again (POST /api/hosts), or it is moved or deleted")


def list_services(core: Core, *, host: str | None = None) -> list[dict[str, Any]]:
    """Every service on every host (or on `host`): from the live model, no Docker call when it runs."""
    with core.db.sessions() as session:
        configs = repo.all_configs(session)
        available = updates_available(session)
    if host is not None:
        host = core.hosts.get(host).name
    everywhere = reader.views(core)
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
        hv = hosts.get(c.host) or _missing_host(c.host)
        container_views, raw = grouped.get(c.host, ({}, {}))
        views.append(_view(c, c.name, hv, container_views.get(c.name, []), update_available=c.id in available))
        raw_by_id[c.id] = raw.get(c.name, []) if hv.connected else None
        managed.setdefault(c.host, set()).add(c.name)
    for name, hv in hosts.items():
        container_views, _ = grouped[name]
        taken = managed.get(name, set())
        views.extend(_view(None, project, hv, containers) for project, containers in sorted(container_views.items())
                     if project not in taken)
    gitops.annotate(core, views, raw_by_id)  # gitops: drift + reconcile state, from the same containers
    return views


def _resolve(core: Core, service_id: str) -> tuple[DockerServiceConfig | None, str, str]:
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


def _managed(core: Core, service_id: str) -> DockerServiceConfig:
    config, name, _ = _resolve(core, service_id)
    if config is None:
        raise Conflict("service is not managed by sdmd",
                       f"{name} is a compose project sdmd did not create; it is read-only")
    return config


# Public for the other domains that act on a managed service (live: actions, terminals).
managed = _managed


def get_service(core: Core, service_id: str) -> dict[str, Any]:
    config, name, host = _resolve(core, service_id)
    hv = reader.view(core, host) if core.hosts.find(host) is not None else _missing_host(host)
    raw = hv.project(name) if hv.connected else []
    available = False
    if config is not None:
        with core.db.sessions() as session:
            available = update_available_for(session, config.id)
    view = _view(config, name, hv, group_by_project(raw).get(name, []) if hv.connected else [], with_compose=True,
                 update_available=available)
    gitops.annotate(core, [view], {view["id"]: raw if hv.connected else None})  # gitops
    return view


def _summary(text: str) -> dict[str, Any]:
    """What the audit log keeps of a definition: its shape, never its environment values."""
    doc = document_of(text)
    return {"services": {k: {"image": v.get("image") if isinstance(v, dict) else None}
                         for k, v in (doc.get("services") or {}).items()}}


def _gateway(core: Core, host: str) -> DockerGateway:
    """The gateway of a service's host; fails fast (409 missing, 503 down) before anything is changed."""
    spec = core.hosts.find(host)
    if spec is None:
        raise Conflict("host not configured", _missing_host(host).error)
    reader.require_reachable(core, spec.name)
    return core.hosts.gateway(spec)


def create_service(core: Core, *, actor: Actor | None, definition: Definition,
                   dry_run: bool = False) -> dict[str, Any]:
    name = validate_name(definition.name)
    if dry_run:
        with core.stacks.locked(name):
            result = definition.edit(name, None, max_nodes=core.settings.yaml_max_nodes)
            _check_name_free(core, name, placement.host_of_text(result.text))
            return preview(core, name, None, result)
    with audited(core.db, actor, "service.create", target_name=name) as audit, core.stacks.locked(name):
        result = definition.edit(name, None, max_nodes=core.settings.yaml_max_nodes)
        text = result.text
        host = placement.host_of_text(text)
        audit.details["host"] = host
        _check_name_free(core, name, host)
        hashes = _write_and_apply(core, host, name, text, audit,
                                  on_failure=lambda _: _undo_create(core, host, name))
        with core.db.session() as session:
            config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text,
                                         content_hash=content_hash(text), host=host)
            session.add(config)
            session.flush()
            repo.add_history(session, config.id, status="deployed", event="create")
        audit.target_id = config.id
        reader.after_change(core, host, name)
        gitops.after_change(core, name=name, actor=actor, action="create", audit=audit, service_id=config.id,
                            hashes_future=hashes)
    return _with_notes(get_service(core, config.id), result.notes)


def _check_name_free(core: Core, name: str, host: str) -> None:
    with core.db.sessions() as session:
        if repo.get_by_name(session, name) or core.stacks.exists(name):
            raise Conflict("service name taken", f"a service named {name} already exists")
    if core.hosts.find(host) is not None and reader.project_containers(core, host, name):
        raise Conflict("service name taken", f"an unmanaged compose project named {name} runs on host {host}")


def _with_notes(view: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    view["warnings"] = [*view.get("warnings", []), *notes]
    return view


def _write_and_apply(core: Core, host: str, name: str, text: str, audit: AuditScope,
                     on_failure: Callable[[SdmdError], None]) -> Future[dict[str, Any]]:
    """Validate with compose's parser, write the file atomically, `compose up` on `host`; undo on failure."""
    validate(core, name, text)
    gateway = _gateway(core, host)
    hashes = gitops.hashes_in_background(core, name=name, text=text)
    audit.details.update(_summary(text))
    core.stacks.write(name, text)
    try:
        gateway.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        on_failure(exc)
        raise
    return hashes


def _restore(core: Core, host: str, name: str, previous: str, exc: SdmdError) -> None:
    """Put the last good file back and re-apply it, so containers compose replaced come back."""
    core.stacks.write(name, previous)
    try:
        core.gateway(host).compose_up(core.stacks.project(name))
        exc.details = f"{exc.details}\n(the previous definition was restored and re-applied)"
    except SdmdError as again:
        exc.details = f"{exc.details}\n(restoring the previous definition also failed: {again.details})"


def _undo_create(core: Core, host: str, name: str) -> None:
    try:
        core.gateway(host).compose_down(core.stacks.project(name), volumes=True)
    except SdmdError as exc:  # keep the original error; this is cleanup
        log.warning("cleanup after failed create of %s: %s", name, exc)
    core.stacks.remove(name)


def update_service(core: Core, service_id: str, *, actor: Actor | None, definition: Definition,
                   if_match: str | None = None, dry_run: bool = False, confirm_move: bool = False,
                   restore_of: str | None = None, action: str | None = None) -> dict[str, Any]:
    """PUT (a document or a raw file) and PATCH (a merge patch): the same checks, audit and commit.

    A different x-sdmd.host is a move: refused unless `confirm_move` (named volumes stay behind), then
    `down` on the old host and `up` on the new one. `restore_of` (a commit id) marks the update as
    restoring that version (gitops history); `action` names the audit action (default service.update).
    """
    config = _managed(core, service_id)
    name = config.name
    if definition.name is not None and definition.name != name:
        raise InvalidInput("renaming a service is not supported",
                           f"service {service_id} is named {name}, the definition says {definition.name}")
    if dry_run:
        with core.stacks.locked(name):
            previous = _current_file(core, name, if_match)
            return preview(core, name, previous, definition.edit(name, previous,
                                                                 max_nodes=core.settings.yaml_max_nodes))
    kind = "restore" if restore_of else "update"
    title = f"Restore service {name} to {restore_of[:7]}" if restore_of else None
    with audited(core.db, actor, action or f"service.{kind}", target_id=config.id, target_name=name,
                 details={"restored_from": restore_of} if restore_of else None) as audit, \
            core.stacks.locked(name):
        if definition.patch is not None:
            audit.details["merge_patch"] = True
        previous = _current_file(core, name, if_match)
        result = definition.edit(name, previous, max_nodes=core.settings.yaml_max_nodes)
        text = result.text
        target = placement.host_of_text(text)
        if target != config.host:
            plan = move.plan(config.host, target, name, config.compose_text)
            move.require_confirmation(plan, confirm_move)
            audit.details["moved"] = plan
        gitops.before_change(core, name=name, action="update")
        if target != config.host:
            hashes = _relocate(core, config, previous, text, target, audit)
        else:
            hashes = _write_and_apply(core, config.host, name, text, audit,
                                      on_failure=lambda exc: _restore(core, config.host, name, previous, exc))
        with core.db.session() as session:
            row = repo.get(session, config.id)
            assert row is not None
            row.compose_text = text
            row.content_hash = content_hash(text)
            row.host = target
            moved = target != config.host
            repo.add_history(session, row.id, status="deployed", event="move" if moved else kind,
                             detail=f"from host {config.host} to {target}" if moved else None)
        for host in {config.host, target}:
            reader.after_change(core, host, name)
        gitops.after_change(core, name=name, actor=actor, action=kind, audit=audit, service_id=config.id,
                            hashes_future=hashes, title=title)
    return _with_notes(get_service(core, config.id), result.notes)


def _current_file(core: Core, name: str, if_match: str | None) -> str:
    previous = core.stacks.read(name)
    if previous is None:
        raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
    if if_match is not None and if_match.strip('"') not in (content_hash(previous), "*"):
        raise Conflict("service changed meanwhile", "the compose file no longer matches If-Match; reload it")
    return previous


def _relocate(core: Core, config: DockerServiceConfig, previous: str, text: str, target: str,
              audit: AuditScope) -> Future[dict[str, Any]]:
    """`down` on the old host (volumes kept there), the new file, `up` on the new host.
    If the new host fails, the old file goes back and comes up on the old host again."""
    name = config.name
    validate(core, name, text)
    new_gateway = _gateway(core, target)
    old_known = core.hosts.find(config.host) is not None  # a removed host: nothing to take down there
    old_gateway = _gateway(core, config.host) if old_known else None
    hashes = gitops.hashes_in_background(core, name=name, text=text)
    audit.details.update(_summary(text))
    if old_gateway is not None:
        with core.stacks.candidate(name, config.compose_text) as running:
            old_gateway.compose_down(running)
    core.stacks.write(name, text)
    try:
        new_gateway.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        try:
            new_gateway.compose_down(core.stacks.project(name))
        except SdmdError as again:
            log.warning("cleanup of %s on %s after a failed move: %s", name, target, again.details)
        if old_gateway is not None:
            _restore(core, config.host, name, previous, exc)
        else:
            core.stacks.write(name, previous)
        raise
    return hashes


def move_service(core: Core, service_id: str, *, actor: Actor | None, host: str, confirm: bool) -> dict[str, Any]:
    """Write x-sdmd.host and apply it: the same path as an update whose file names another host."""
    config = _managed(core, service_id)
    target = core.hosts.get(host).name
    if target == config.host:
        raise Conflict("service already on that host", f"{config.name} runs on {target}")
    text = core.stacks.read(config.name)
    if text is None:
        raise Conflict("compose file missing", f"{core.stacks.file(config.name)} does not exist")
    definition = Definition(name=config.name, raw_text=placement.with_host(text, target))
    return update_service(core, config.id, actor=actor, definition=definition, if_match=content_hash(text),
                          confirm_move=confirm, action="service.move")


def move_plan(core: Core, service_id: str, *, host: str) -> dict[str, Any]:
    config = _managed(core, service_id)
    return move.plan(config.host, core.hosts.get(host).name, config.name, config.compose_text)


def delete_service(core: Core, service_id: str, *, actor: Actor | None, volumes: bool = False) -> None:
    """`compose down` on the service's host, then the folder and rows. A service whose host was removed
    (orphaned) touches no host: only its folder and rows go."""
    config = _managed(core, service_id)
    name = config.name
    with audited(core.db, actor, "service.delete", target_id=config.id, target_name=name,
                 details={"volumes": volumes, "host": config.host}) as audit, core.stacks.locked(name):
        host_known = core.hosts.find(config.host) is not None
        gateway = _gateway(core, config.host) if host_known else None
        if gateway is None:
            audit.details["orphaned"] = True
        gitops.before_change(core, name=name, action="delete", config=config)
        if gateway is not None and core.stacks.exists(name):
            gateway.compose_down(core.stacks.project(name), volumes=volumes)
        core.stacks.remove(name)
        with core.db.session() as session:
            row = repo.get(session, config.id)
            if row is not None:
                session.delete(row)
        if gateway is not None:
            reader.after_change(core, config.host, name)
        gitops.after_change(core, name=name, actor=actor, action="delete", audit=audit, service_id=None)


def restart_service(core: Core, service_id: str, *, actor: Actor | None) -> dict[str, Any]:
    config = _managed(core, service_id)
    with audited(core.db, actor, "service.restart", target_id=config.id, target_name=config.name,
                 details={"host": config.host}), core.stacks.locked(config.name):
        _gateway(core, config.host).compose_restart(core.stacks.project(config.name))
        with core.db.session() as session:
            repo.add_history(session, config.id, status="running", event="restart")
        reader.after_change(core, config.host, config.name)
    return get_service(core, config.id)


def resolve(core: Core, service_id: str) -> tuple[DockerServiceConfig | None, str, str]:
    """(config or None for an unmanaged project, compose project name, host name)."""
    return _resolve(core, service_id)


def gateway_of(core: Core, host: str) -> DockerGateway:
    return _gateway(core, host)
