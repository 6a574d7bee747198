"""Service operations: validate, write the compose file, apply it on the service's host, mirror it, audit it.

Each operation holds the stack's lock for its whole write-apply-mirror sequence and owns its
unit of work, so the file, Docker and the database change together or not at all. The host is the
one the file names (x-sdmd.host, sdmd/services/placement.py); the read side is sdmd/services/views.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sdmd import faults
from sdmd.audit.log import AuditScope, audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.docker import DockerGateway
from sdmd.errors import Conflict, InvalidInput, SdmdError
from sdmd.gitops import hooks as gitops
from sdmd.hosts import reader
from sdmd.services import move, placement, teardown
from sdmd.services import repository as repo
from sdmd.services.changes import Definition, preview, validate
from sdmd.services.definition import content_hash, validate_name
from sdmd.services.editing import document_of
from sdmd.services.models import DockerServiceConfig
from sdmd.services.views import (
    UNMANAGED_PREFIX,
    get_service,
    list_services,
    managed,
    missing_host,
    resolve,
    unmanaged_id,
)

if TYPE_CHECKING:
    from sdmd.gitops.git import PreparedCommit

log = logging.getLogger("sdmd.services")

__all__ = ["UNMANAGED_PREFIX", "Definition", "create_service", "delete_service", "gateway_of", "get_service",
           "list_services", "managed", "move_plan", "move_service", "resolve", "restart_service",
           "unmanaged_id", "update_service"]

_managed = managed  # the name other modules (envfile) imported before the read side had its own module
_resolve = resolve


def _summary(text: str) -> dict[str, Any]:
    """What the audit log keeps of a definition: its shape, never its environment values."""
    doc = document_of(text)
    return {"services": {k: {"image": v.get("image") if isinstance(v, dict) else None}
                         for k, v in (doc.get("services") or {}).items()}}


def gateway_of(core: Core, host: str) -> DockerGateway:
    """The gateway of a service's host; fails fast (409 missing, 503 down) before anything is changed."""
    spec = core.hosts.find(host)
    if spec is None:
        raise Conflict("host not configured", missing_host(host).error)
    reader.require_reachable(core, spec.name)
    return core.hosts.gateway(spec)


def _check_name_free(core: Core, name: str, host: str, *, strict: bool = True) -> None:
    """A name is unique across hosts (it is the folder); an unmanaged project of that name on the target
    host would be taken over by `compose up`. A dry run (`strict=False`) does not wait for a host that is down."""
    with core.db.sessions() as session:
        if repo.get_by_name(session, name) or core.stacks.exists(name):
            raise Conflict("service name taken", f"a service named {name} already exists")
    if core.hosts.find(host) is None:
        return  # validate() answers 422 unknown host
    if not strict and not reader.view(core, host).connected:
        return
    if reader.project_containers(core, host, name):
        raise Conflict("service name taken", f"an unmanaged compose project named {name} runs on host {host}")


def _with_notes(view: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    view["warnings"] = [*view.get("warnings", []), *notes]
    return view


def create_service(core: Core, *, actor: Actor | None, definition: Definition,
                   dry_run: bool = False) -> dict[str, Any]:
    name = validate_name(definition.name)
    max_nodes = core.settings.yaml_max_nodes
    if dry_run:
        with core.stacks.locked(name):
            result = definition.edit(name, None, max_nodes=max_nodes)
            _check_name_free(core, name, placement.host_of_text(result.text, max_nodes), strict=False)
            return preview(core, name, None, result)
    with audited(core.db, actor, "service.create", target_name=name) as audit, core.stacks.locked(name):
        result = definition.edit(name, None, max_nodes=max_nodes)
        text = result.text
        host = placement.host_of_text(text, max_nodes)
        audit.details["host"] = host
        _check_name_free(core, name, host)
        hashes, prepared = _write_and_apply(core, host, name, text, audit, operation="create",
                                            on_failure=lambda _: _undo_create(core, host, name),
                                            commit=Commit(actor, "create"))
        try:
            with core.db.session() as session:
                config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text,
                                             content_hash=content_hash(text), host=host)
                session.add(config)
                session.flush()
                repo.add_history(session, config.id, status="deployed", event="create")
                faults.point("create", "before_db_commit")
        except Exception:  # the database refused (full disk, gone): no service without its row
            gitops.settle(prepared)
            _undo_create(core, host, name)
            raise
        audit.target_id = config.id
        core.stacks.clear_deleting(name)  # an earlier failed or crashed service of this name is this one now
        reader.after_change(core, host, name)
        faults.point("create", "before_git_commit")
        gitops.after_change(core, name=name, actor=actor, action="create", audit=audit, service_id=config.id,
                            hashes_future=hashes, prepared=prepared)
    return _with_notes(get_service(core, config.id), result.notes)


@dataclass(frozen=True)
class Commit:
    """Who the change's git commit is by and what it says (gitops.commit_message), known before the write."""

    actor: Actor | None
    action: str
    title: str | None = None

    def prepare(self, core: Core, name: str) -> Future[PreparedCommit]:
        return gitops.prepare_commit(core, name=name, actor=self.actor, action=self.action, title=self.title)


def _write_and_apply(core: Core, host: str, name: str, text: str, audit: AuditScope, *, operation: str,
                     on_failure: Callable[[SdmdError], None], commit: Commit,
                     ) -> tuple[Future[dict[str, Any]], Future[PreparedCommit]]:
    """Validate with compose's parser, write the file atomically, `compose up` on `host`; undo on failure.
    The git commit is built while up runs (gitops.prepare_commit); the caller makes it HEAD's."""
    model = validate(core, name, text)
    gateway = gateway_of(core, host)
    faults.point(operation, "after_validation")
    audit.details.update(_summary(text))
    core.stacks.write(name, text)
    faults.point(operation, "after_write")
    prepared = commit.prepare(core, name)
    try:
        with faults.during(operation, "during_up"):
            gateway.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        gitops.settle(prepared)
        on_failure(exc)
        raise
    return gitops.hashes_after_up(core, gateway, name=name, text=text, model=model), prepared


def _restore(core: Core, host: str, name: str, previous: str, exc: SdmdError) -> None:
    """Put the last good file back and re-apply it, so containers compose replaced come back. If that
    fails too (the daemon restarting, say), reconcile applies it again once the host answers."""
    core.stacks.write(name, previous)
    try:
        core.gateway(host).compose_up(core.stacks.project(name))
        exc.details = f"{exc.details}\n(the previous definition was restored and re-applied)"
    except SdmdError as again:
        core.stacks.mark_intent("reapply", name, {"host": host})
        exc.details = (f"{exc.details}\n(restoring the previous definition also failed: {again.details}; "
                       "the next reconcile applies it again)")


def _undo_create(core: Core, host: str, name: str) -> None:
    try:
        core.gateway(host).compose_down(core.stacks.project(name), volumes=True)
    except SdmdError as exc:  # keep the original error; this is cleanup
        log.warning("cleanup after failed create of %s: %s", name, exc)
        # Containers may be left on the host: reconcile takes them down by label when it answers.
        core.stacks.mark_deleting(name, {"service_id": None, "host": host, "volumes": True})
    core.stacks.remove(name)


def update_service(core: Core, service_id: str, *, actor: Actor | None, definition: Definition,
                   if_match: str | None = None, dry_run: bool = False, confirm_move: bool = False,
                   restore_of: str | None = None, action: str | None = None) -> dict[str, Any]:
    """PUT (a document or a raw file) and PATCH (a merge patch): the same checks, audit and commit.

    A file naming another host (x-sdmd.host) is a move: refused unless `confirm_move` (named volumes
    stay behind), then `down` on the old host and `up` on the new one. `restore_of` (a commit id)
    marks the update as restoring that version (gitops history); `action` names it otherwise (move).
    """
    config = managed(core, service_id)
    name = config.name
    max_nodes = core.settings.yaml_max_nodes
    if definition.name is not None and definition.name != name:
        raise InvalidInput("renaming a service is not supported",
                           f"service {service_id} is named {name}, the definition says {definition.name}")
    if dry_run:
        with core.stacks.locked(name):
            previous = _current_file(core, name, if_match)
            answer = preview(core, name, previous, definition.edit(name, previous, max_nodes=max_nodes))
            if answer["host"] != config.host:
                answer["move"] = move.plan(config.host, answer["host"], name, config.compose_text)
            return answer
    action = action or ("restore" if restore_of else "update")
    title = f"Restore service {name} to {restore_of[:7]}" if restore_of else None
    with audited(core.db, actor, f"service.{action}", target_id=config.id, target_name=name,
                 details={"restored_from": restore_of} if restore_of else None) as audit, \
            core.stacks.locked(name):
        if definition.patch is not None:
            audit.details["merge_patch"] = True
        previous = _current_file(core, name, if_match)
        result = definition.edit(name, previous, max_nodes=max_nodes)
        text = result.text
        target = placement.host_of_text(text, max_nodes)
        moving = target != config.host
        audit.details["host"] = target
        if moving:
            plan = move.plan(config.host, target, name, config.compose_text)
            move.require_confirmation(plan, confirm_move)
            audit.details["moved"] = plan
            title = title or f"Move service {name} from host {config.host} to {target}"
        gitops.before_change(core, name=name, action="update")
        commit = Commit(actor, action, title)
        if moving:
            hashes, prepared = _relocate(core, config, previous, text, target, audit, commit)
        else:
            hashes, prepared = _write_and_apply(
                core, config.host, name, text, audit, operation="update", commit=commit,
                on_failure=lambda exc: _restore(core, config.host, name, previous, exc))
        try:
            with core.db.session() as session:
                row = repo.get(session, config.id)
                assert row is not None
                row.compose_text = text
                row.content_hash = content_hash(text)
                row.host = target
                repo.add_history(session, row.id, status="deployed", event="move" if moving else action,
                                 detail=f"from host {config.host} to {target}" if moving else None)
                faults.point("update", "before_db_commit")
        except Exception:  # the database refused: the mirror still says `previous`, so run that again
            gitops.settle(prepared)
            if not moving:
                _restore(core, config.host, name, previous, SdmdError("database write failed"))
            raise
        for host in {config.host, target}:
            reader.after_change(core, host, name)
        faults.point("update", "before_git_commit")
        gitops.after_change(core, name=name, actor=actor, action=action, audit=audit, service_id=config.id,
                            hashes_future=hashes, title=title, prepared=prepared)
    return _with_notes(get_service(core, config.id), result.notes)


def _current_file(core: Core, name: str, if_match: str | None) -> str:
    previous = core.stacks.read(name)
    if previous is None:
        raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
    if if_match is not None and if_match.strip('"') not in (content_hash(previous), "*"):
        raise Conflict("service changed meanwhile", "the compose file no longer matches If-Match; reload it")
    return previous


def _relocate(core: Core, config: DockerServiceConfig, previous: str, text: str, target: str,
              audit: AuditScope, commit: Commit) -> tuple[Future[dict[str, Any]], Future[PreparedCommit]]:
    """`down` on the old host (volumes kept there), the new file, `up` on the new host.
    If the new host fails, the old file goes back and comes up on the old host again."""
    name = config.name
    model = validate(core, name, text)
    new_gateway = gateway_of(core, target)
    old_known = core.hosts.find(config.host) is not None  # a removed host: nothing to take down there
    old_gateway = gateway_of(core, config.host) if old_known else None
    audit.details.update(_summary(text))
    if old_gateway is not None:
        with core.stacks.candidate(name, config.compose_text) as running:
            old_gateway.compose_down(running)
    core.stacks.write(name, text)
    prepared = commit.prepare(core, name)
    try:
        new_gateway.compose_up(core.stacks.project(name))
    except SdmdError as exc:
        gitops.settle(prepared)
        try:
            new_gateway.compose_down(core.stacks.project(name))
        except SdmdError as again:
            log.warning("cleanup of %s on %s after a failed move: %s", name, target, again.details)
        if old_gateway is not None:
            _restore(core, config.host, name, previous, exc)
        else:
            core.stacks.write(name, previous)
        raise
    return gitops.hashes_after_up(core, new_gateway, name=name, text=text, model=model), prepared


def move_service(core: Core, service_id: str, *, actor: Actor | None, host: str, confirm: bool) -> dict[str, Any]:
    """Write x-sdmd.host (apply_merge_patch: one key changes) and apply it: the same path as an update
    whose file names another host."""
    config = managed(core, service_id)
    target = core.hosts.get(host).name
    if target == config.host:
        raise Conflict("service already on that host", f"{config.name} runs on {target}")
    text = core.stacks.read(config.name)
    if text is None:
        raise Conflict("compose file missing", f"{core.stacks.file(config.name)} does not exist")
    moved = placement.with_host(text, target, core.settings.yaml_max_nodes)
    definition = Definition(name=config.name, raw_text=moved)
    return update_service(core, config.id, actor=actor, definition=definition, if_match=content_hash(text),
                          confirm_move=confirm, action="move")


def move_plan(core: Core, service_id: str, *, host: str) -> dict[str, Any]:
    config = managed(core, service_id)
    return move.plan(config.host, core.hosts.get(host).name, config.name, config.compose_text)


def delete_service(core: Core, service_id: str, *, actor: Actor | None, volumes: bool = False) -> None:
    """`compose down` on the service's host, then the folder and rows. A service whose host was removed
    (orphaned) touches no host: only its folder and rows go. A broken or missing compose file does not
    block it, and a crash half-way is finished by the next reconcile (sdmd/services/teardown.py)."""
    config = managed(core, service_id)
    name = config.name
    with audited(core.db, actor, "service.delete", target_id=config.id, target_name=name,
                 details={"volumes": volumes, "host": config.host}) as audit, core.stacks.locked(name):
        host_known = core.hosts.find(config.host) is not None
        gateway = gateway_of(core, config.host) if host_known else None
        if gateway is None:
            audit.details["orphaned"] = True
        gitops.before_change(core, name=name, action="delete", config=config)
        faults.point("delete", "after_validation")
        teardown.delete_steps(core, name=name, service_id=config.id, host=config.host,
                              mirror_text=config.compose_text, volumes=volumes, actor=actor, audit=audit,
                              gateway=gateway)


def restart_service(core: Core, service_id: str, *, actor: Actor | None) -> dict[str, Any]:
    config = managed(core, service_id)
    with audited(core.db, actor, "service.restart", target_id=config.id, target_name=config.name,
                 details={"host": config.host}), core.stacks.locked(config.name):
        gateway_of(core, config.host).compose_restart(core.stacks.project(config.name))
        with core.db.session() as session:
            repo.add_history(session, config.id, status="running", event="restart")
        reader.after_change(core, config.host, config.name)
    return get_service(core, config.id)
