"""Applying a compose file that changed outside the API (a hand edit, a git pull, a new folder).

Every function here runs with the stack's lock held by its caller. The person's file is never
rewritten: when it is invalid or cannot be applied, the service keeps (or gets back) the last good
version, which is the database mirror's compose_text.
"""

from __future__ import annotations

import logging
from typing import Any

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id, utcnow
from sdmd.errors import InvalidInput, SdmdError
from sdmd.gitops import repository as repo
from sdmd.gitops.context import compute_service_hashes, file_images, git_repo, store_hashes
from sdmd.gitops.git import GitError
from sdmd.hosts import reader
from sdmd.services import move, placement
from sdmd.services import repository as services_repo
from sdmd.services.definition import content_hash, parse_yaml
from sdmd.services.models import DockerServiceConfig
from sdmd.updates import policy as update_policy

log = logging.getLogger("sdmd.gitops")


def validate(core: Core, name: str, text: str) -> str:
    """The same checks the API applies: a compose mapping with services, accepted by `docker compose config`,
    naming a configured host in x-sdmd.host. Returns that host."""
    doc = parse_yaml(text, core.settings.yaml_max_nodes)
    update_policy.validate(doc)  # updates: x-sdmd tag policies that cannot work
    host = placement.host_of(doc)
    if core.hosts.find(host) is None:
        raise InvalidInput("unknown host", f"x-sdmd.host names {host}, which is not configured (GET /api/hosts)")
    with core.stacks.candidate(name, text) as draft:
        core.docker.compose_config(draft)  # compose config never contacts a daemon: validated here for any host
    return host


def summary(text: str) -> dict[str, Any]:
    """What the audit log keeps of a definition: its services' images, never environment values."""
    return {"services": {svc: {"image": image} for svc, image in file_images(text).items()}}


def _last_commit(core: Core, name: str) -> str | None:
    try:
        return git_repo(core).last_commit(name)
    except GitError as exc:
        log.warning("no commit id for %s: %s", name, exc.details)
        return None


def record_error(core: Core, name: str, text_hash: str, exc: SdmdError, service_id: str | None) -> None:
    detail = exc.message if not exc.details else f"{exc.message}: {exc.details}"
    with core.db.session() as session:
        row = repo.get_or_create(session, name)
        row.service_id = service_id or row.service_id
        row.error = detail[:4000]
        row.error_hash = text_hash
        if service_id:
            services_repo.add_history(session, service_id, status="error", event="gitops", detail=detail[:2000])


def restore_last_good(core: Core, host: str, name: str, last_good: str) -> None:
    """Bring the containers back to the last applied definition without touching the person's file."""
    try:
        with core.stacks.candidate(name, last_good) as draft:
            core.gateway(host).compose_up(draft)
    except SdmdError as exc:
        log.warning("restoring the last good version of %s failed: %s", name, exc.details)


def apply_existing(core: Core, config: DockerServiceConfig, text: str, *, actor: Actor | None,
                   action: str) -> str | None:
    """Validate and `compose up` stacks/<name>/compose.yaml, then mirror it. Returns the commit applied."""
    name = config.name
    text_hash = content_hash(text)
    try:
        with audited(core.db, actor, action, target_id=config.id, target_name=name) as audit:
            commit = _last_commit(core, name)
            audit.details["commit"] = commit
            target = validate(core, name, text)
            audit.details.update(summary(text))
            audit.details["host"] = target
            if target != config.host:  # git is the truth: a hand edit that names another host moves it
                audit.details["moved"] = move.plan(config.host, target, name, config.compose_text)
                _take_down_old(core, config)
            try:
                core.gateway(target).compose_up(core.stacks.project(name))
            except SdmdError as exc:
                if target != config.host:
                    _down_quietly(core, target, name, text)
                if core.hosts.find(config.host) is not None:
                    restore_last_good(core, config.host, name, config.compose_text)
                    exc.details = f"{exc.details}\n(the last good version is running again)"
                raise
            hashes = _hashes(core, name, text)
            with core.db.session() as session:
                row = services_repo.get(session, config.id)
                if row is not None:
                    row.compose_text = text
                    row.content_hash = text_hash
                    row.host = target
                    services_repo.add_history(session, config.id, status="deployed", event="gitops",
                                              detail=f"commit {commit}" if commit else None)
                state = repo.get_or_create(session, name)
                state.service_id = config.id
                state.applied_hash = text_hash
                state.pending_hash = state.error = state.error_hash = None
                state.orphaned_at = None
                state.last_commit = commit
                store_hashes(state, text_hash, hashes)
            for host in {config.host, target}:
                reader.after_change(core, host, name)
            return commit
    except SdmdError as exc:
        record_error(core, name, text_hash, exc, config.id)
        raise


def _take_down_old(core: Core, config: DockerServiceConfig) -> None:
    """Before a move: `compose down` on the old host (its volumes stay); nothing when that host was removed."""
    if core.hosts.find(config.host) is None:
        return
    with core.stacks.candidate(config.name, config.compose_text) as running:
        core.gateway(config.host).compose_down(running)


def mark_pending(core: Core, config: DockerServiceConfig, text: str, *, actor: Actor | None) -> None:
    """Manual mode: the change is valid and waits for POST /api/services/{id}/apply."""
    name = config.name
    text_hash = content_hash(text)
    try:
        with audited(core.db, actor, "gitops.pending", target_id=config.id, target_name=name) as audit:
            audit.details["commit"] = _last_commit(core, name)
            audit.details["host"] = validate(core, name, text)
            audit.details.update(summary(text))
            hashes = _hashes(core, name, text)
            with core.db.session() as session:
                state = repo.get_or_create(session, name)
                state.service_id = config.id
                state.pending_hash = text_hash
                state.error = state.error_hash = None
                state.orphaned_at = None
                store_hashes(state, text_hash, hashes)
                services_repo.add_history(session, config.id, status="pending", event="gitops")
    except SdmdError as exc:
        record_error(core, name, text_hash, exc, config.id)
        raise


def create_from_folder(core: Core, name: str, text: str, *, actor: Actor | None, apply: bool) -> str:
    """A new stacks/<name>/ folder becomes a managed service (applied now, or pending in manual mode)."""
    text_hash = content_hash(text)
    try:
        with audited(core.db, actor, "gitops.create", target_name=name) as audit:
            commit = _last_commit(core, name)
            audit.details["commit"] = commit
            host = validate(core, name, text)
            audit.details.update(summary(text))
            audit.details["host"] = host
            if apply:
                had_containers = bool(reader.project_containers(core, host, name))
                try:
                    core.gateway(host).compose_up(core.stacks.project(name))
                except SdmdError:
                    if not had_containers:
                        _down_quietly(core, host, name, text)
                    raise
                reader.after_change(core, host, name)
            hashes = _hashes(core, name, text)
            with core.db.session() as session:
                config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text,
                                             content_hash=text_hash, host=host)
                session.add(config)
                session.flush()
                services_repo.add_history(session, config.id, status="deployed" if apply else "pending",
                                          event="gitops", detail=f"commit {commit}" if commit else None)
                state = repo.get_or_create(session, name)
                state.service_id = config.id
                state.applied_hash = text_hash if apply else None
                state.pending_hash = None if apply else text_hash
                state.error = state.error_hash = None
                state.orphaned_at = None
                state.last_commit = commit
                store_hashes(state, text_hash, hashes)
            audit.target_id = config.id
            return config.id
    except SdmdError as exc:
        record_error(core, name, text_hash, exc, None)
        raise


def folder_gone(core: Core, config: DockerServiceConfig, *, actor: Actor | None, prune: bool) -> str:
    """stacks/<name>/ was deleted: remove the service (prune) or mark it orphaned, once."""
    name = config.name
    with core.db.sessions() as session:
        state = repo.get(session, name)
        if not prune and state is not None and state.orphaned_at is not None:
            return "orphaned"
    if prune:
        with audited(core.db, actor, "gitops.prune", target_id=config.id, target_name=name) as audit:
            audit.details["commit"] = _last_commit(core, name)
            # The folder is gone; the mirror still knows what was running, and where.
            if core.hosts.find(config.host) is not None:
                with core.stacks.candidate(name, config.compose_text) as draft:
                    core.gateway(config.host).compose_down(draft)
                reader.after_change(core, config.host, name)
            with core.db.session() as session:
                row = services_repo.get(session, config.id)
                if row is not None:
                    session.delete(row)
                repo.remove(session, name)
        return "pruned"
    with audited(core.db, actor, "gitops.orphan", target_id=config.id, target_name=name) as audit:
        audit.details["commit"] = _last_commit(core, name)
        with core.db.session() as session:
            state = repo.get_or_create(session, name)
            state.service_id = config.id
            state.orphaned_at = utcnow()
            services_repo.add_history(session, config.id, status="orphaned", event="gitops",
                                      detail="the folder was deleted; set SDMD_GITOPS_PRUNE=true to remove")
    return "orphaned"


def _hashes(core: Core, name: str, text: str) -> dict[str, Any] | None:
    try:
        return compute_service_hashes(core, name, text)
    except SdmdError as exc:
        log.warning("no config hashes for %s: %s", name, exc.details)
        return None


def _down_quietly(core: Core, host: str, name: str, text: str) -> None:
    try:
        with core.stacks.candidate(name, text) as draft:
            core.gateway(host).compose_down(draft)
    except SdmdError as exc:
        log.warning("cleanup after failed apply of new folder %s: %s", name, exc.details)
