"""Service operations: validate, write the compose file, apply it, mirror it, audit it.

Each operation holds the stack's lock for its whole write-apply-mirror sequence and owns its
unit of work, so the file, Docker and the database change together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sdmd.audit.log import AuditScope, audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.errors import Conflict, InvalidInput, NotFound, SdmdError
from sdmd.gitops import hooks as gitops
from sdmd.services import repository as repo
from sdmd.services.changes import Definition, preview, validate
from sdmd.services.definition import content_hash, validate_name, warnings_for
from sdmd.services.editing import document_of
from sdmd.services.models import DockerServiceConfig
from sdmd.services.runtime import group_by_project, overall_status
from sdmd.updates.status import update_available_for, updates_available

log = logging.getLogger("sdmd.services")

UNMANAGED_PREFIX = "ext_"


def _view(config: DockerServiceConfig | None, name: str, containers: list[dict], *,
          with_compose: bool = False, update_available: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": config.id if config else f"{UNMANAGED_PREFIX}{name}",
        "name": name,
        "managed": config is not None,
        "status": overall_status(containers),
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


def list_services(core: Core) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        configs = repo.all_configs(session)
        available = updates_available(session)
    raw = core.docker.compose_containers()
    projects = group_by_project(raw)
    views = [_view(c, c.name, projects.pop(c.name, []), update_available=c.id in available) for c in configs]
    views.extend(_view(None, name, containers) for name, containers in sorted(projects.items()))
    gitops.annotate(core, views, raw)  # gitops: drift + reconcile state, from this one listing
    return views


def _resolve(core: Core, service_id: str) -> tuple[DockerServiceConfig | None, str]:
    """A managed service by id (or name), else an unmanaged compose project by `ext_<project>`."""
    with core.db.sessions() as session:
        config = repo.get(session, service_id) or repo.get_by_name(session, service_id)
    if config:
        return config, config.name
    if service_id.startswith(UNMANAGED_PREFIX):
        project = service_id.removeprefix(UNMANAGED_PREFIX)
        if core.docker.compose_containers(project):
            return None, project
    raise NotFound("service not found", f"No service with ID {service_id} exists")


def _managed(core: Core, service_id: str) -> DockerServiceConfig:
    config, name = _resolve(core, service_id)
    if config is None:
        raise Conflict("service is not managed by sdmd",
                       f"{name} is a compose project sdmd did not create; it is read-only")
    return config


def get_service(core: Core, service_id: str) -> dict[str, Any]:
    config, name = _resolve(core, service_id)
    raw = core.docker.compose_containers(name)
    available = False
    if config is not None:
        with core.db.sessions() as session:
            available = update_available_for(session, config.id)
    view = _view(config, name, group_by_project(raw).get(name, []), with_compose=True, update_available=available)
    gitops.annotate(core, [view], raw)  # gitops
    return view


def _summary(text: str) -> dict[str, Any]:
    """What the audit log keeps of a definition: its shape, never its environment values."""
    doc = document_of(text)
    return {"services": {k: {"image": v.get("image") if isinstance(v, dict) else None}
                         for k, v in (doc.get("services") or {}).items()}}


def create_service(core: Core, *, actor: Actor | None, definition: Definition,
                   dry_run: bool = False) -> dict[str, Any]:
    name = validate_name(definition.name)
    if dry_run:
        with core.stacks.locked(name):
            _check_name_free(core, name)
            return preview(core, name, None, definition.edit(name, None, max_nodes=core.settings.yaml_max_nodes))
    with audited(core.db, actor, "service.create", target_name=name) as audit, core.stacks.locked(name):
        _check_name_free(core, name)
        result = definition.edit(name, None, max_nodes=core.settings.yaml_max_nodes)
        text = result.text
        hashes = _write_and_apply(core, name, text, audit, on_failure=lambda _: _undo_create(core, name))
        with core.db.session() as session:
            config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text,
                                         content_hash=content_hash(text))
            session.add(config)
            session.flush()
            repo.add_history(session, config.id, status="deployed", event="create")
        audit.target_id = config.id
        gitops.after_change(core, name=name, actor=actor, action="create", audit=audit, service_id=config.id,
                            hashes_future=hashes)
    return _with_notes(get_service(core, config.id), result.notes)


def _check_name_free(core: Core, name: str) -> None:
    with core.db.sessions() as session:
        if repo.get_by_name(session, name) or core.stacks.exists(name):
            raise Conflict("service name taken", f"a service named {name} already exists")
    if core.docker.compose_containers(name):
        raise Conflict("service name taken", f"an unmanaged compose project named {name} is running")


def _with_notes(view: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    view["warnings"] = [*view.get("warnings", []), *notes]
    return view


def _write_and_apply(core: Core, name: str, text: str, audit: AuditScope,
                     on_failure: Callable[[SdmdError], None]) -> Future[dict[str, Any]]:
    """Validate with compose's parser, write the file atomically, `compose up`; undo on failure."""
    validate(core, name, text)
    hashes = gitops.hashes_in_background(core, name=name, text=text)
    audit.details.update(_summary(text))
    core.stacks.write(name, text)
    try:
        core.docker.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        on_failure(exc)
        raise
    return hashes


def _restore(core: Core, name: str, previous: str, exc: SdmdError) -> None:
    """Put the last good file back and re-apply it, so containers compose replaced come back."""
    core.stacks.write(name, previous)
    try:
        core.docker.compose_up(core.stacks.project(name))
        exc.details = f"{exc.details}\n(the previous definition was restored and re-applied)"
    except SdmdError as again:
        exc.details = f"{exc.details}\n(restoring the previous definition also failed: {again.details})"


def _undo_create(core: Core, name: str) -> None:
    try:
        core.docker.compose_down(core.stacks.project(name), volumes=True)
    except SdmdError as exc:  # keep the original error; this is cleanup
        log.warning("cleanup after failed create of %s: %s", name, exc)
    core.stacks.remove(name)


def update_service(core: Core, service_id: str, *, actor: Actor | None, definition: Definition,
                   if_match: str | None = None, dry_run: bool = False,
                   restore_of: str | None = None) -> dict[str, Any]:
    """PUT (a document or a raw file) and PATCH (a merge patch): the same checks, audit and commit.

    `restore_of` (a commit id) marks the update as restoring that version (gitops history).
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
    action = "restore" if restore_of else "update"
    title = f"Restore service {name} to {restore_of[:7]}" if restore_of else None
    with audited(core.db, actor, f"service.{action}", target_id=config.id, target_name=name,
                 details={"restored_from": restore_of} if restore_of else None) as audit, \
            core.stacks.locked(name):
        if definition.patch is not None:
            audit.details["merge_patch"] = True
        previous = _current_file(core, name, if_match)
        result = definition.edit(name, previous, max_nodes=core.settings.yaml_max_nodes)
        text = result.text
        gitops.before_change(core, name=name, action="update")
        hashes = _write_and_apply(core, name, text, audit,
                                  on_failure=lambda exc: _restore(core, name, previous, exc))
        with core.db.session() as session:
            row = repo.get(session, config.id)
            assert row is not None
            row.compose_text = text
            row.content_hash = content_hash(text)
            repo.add_history(session, row.id, status="deployed", event=action)
        gitops.after_change(core, name=name, actor=actor, action=action, audit=audit, service_id=config.id,
                            hashes_future=hashes, title=title)
    return _with_notes(get_service(core, config.id), result.notes)


def _current_file(core: Core, name: str, if_match: str | None) -> str:
    previous = core.stacks.read(name)
    if previous is None:
        raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
    if if_match is not None and if_match.strip('"') not in (content_hash(previous), "*"):
        raise Conflict("service changed meanwhile", "the compose file no longer matches If-Match; reload it")
    return previous


def delete_service(core: Core, service_id: str, *, actor: Actor | None, volumes: bool = False) -> None:
    config = _managed(core, service_id)
    name = config.name
    with audited(core.db, actor, "service.delete", target_id=config.id, target_name=name,
                 details={"volumes": volumes}) as audit, core.stacks.locked(name):
        gitops.before_change(core, name=name, action="delete", config=config)
        if core.stacks.exists(name):
            core.docker.compose_down(core.stacks.project(name), volumes=volumes)
        core.stacks.remove(name)
        with core.db.session() as session:
            row = repo.get(session, config.id)
            if row is not None:
                session.delete(row)
        gitops.after_change(core, name=name, actor=actor, action="delete", audit=audit, service_id=None)


def restart_service(core: Core, service_id: str, *, actor: Actor | None) -> dict[str, Any]:
    config = _managed(core, service_id)
    with audited(core.db, actor, "service.restart", target_id=config.id, target_name=config.name), \
            core.stacks.locked(config.name):
        core.docker.compose_restart(core.stacks.project(config.name))
        with core.db.session() as session:
            repo.add_history(session, config.id, status="running", event="restart")
    return get_service(core, config.id)


@dataclass(frozen=True)
class LogLine:
    container: str
    service: str | None
    timestamp: str
    message: str


def service_logs(core: Core, service_id: str, *, tail: int) -> list[LogLine]:
    """The last `tail` lines across all the service's containers, merged by time."""
    _, name = _resolve(core, service_id)
    containers = group_by_project(core.docker.compose_containers(name)).get(name, [])
    lines: list[LogLine] = []
    for c in containers:
        raw = core.docker.container_logs(c["id"], tail=tail).decode("utf-8", errors="replace")
        for entry in raw.splitlines():
            stamp, _, message = entry.partition(" ")
            lines.append(LogLine(container=c["name"], service=c["service"], timestamp=stamp, message=message))
    lines.sort(key=lambda line: _sort_key(line.timestamp))
    return lines[-tail:] if tail else []


def _sort_key(stamp: str) -> tuple[str, str]:
    # RFC 3339 with nanoseconds: compare the seconds part, then the fraction padded to 9 digits.
    head, _, frac = stamp.rstrip("Z").partition(".")
    return head, frac.ljust(9, "0")


def service_history(core: Core, service_id: str) -> list[dict[str, Any]]:
    config = _managed(core, service_id)
    with core.db.sessions() as session:
        return [{"status": h.status, "event": h.event, "detail": h.detail, "recorded_at": h.recorded_at}
                for h in repo.history(session, config.id)]


