"""Gitops operations behind the API: drift of one service, manual apply, repository status."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import Conflict, NotFound
from sdmd.gitops import apply, drift, rounds
from sdmd.gitops import repository as repo
from sdmd.gitops.context import git_repo, refresh_hashes
from sdmd.gitops.hooks import commit_hand_edits, state_view
from sdmd.gitops.reconcile import reconcile
from sdmd.hosts import reader
from sdmd.services import repository as services_repo
from sdmd.services.definition import content_hash
from sdmd.services.models import DockerServiceConfig


def managed_config(core: Core, service_id: str) -> DockerServiceConfig:
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is None:
        raise NotFound("service not found", f"No managed service with ID {service_id} exists")
    return config


def drift_report(core: Core, service_id: str) -> dict[str, Any]:
    """File vs mirror vs containers for one service; computes the file's config hashes if not kept yet."""
    config = managed_config(core, service_id)
    name = config.name
    text = core.stacks.read(name)
    file_hash = content_hash(text) if text is not None else None
    if text is not None:
        refresh_hashes(core, name, text)
    with core.db.sessions() as session:
        row = repo.get(session, name)
    containers = reader.project_containers(core, config.host, name)
    expected, compared_with = drift.expected_for(row, file_hash, config.content_hash)
    report = drift.compute(file_hash=file_hash, mirror_hash=config.content_hash, expected=expected,
                           compared_with=compared_with, containers=containers)
    report.update({"id": config.id, "name": name, "host": config.host, "file_hash": file_hash,
                   "mirror_hash": config.content_hash, "applied_hash": row.applied_hash if row else None})
    return report


def git_history(core: Core, service_id: str, *, limit: int) -> list[dict[str, str]]:
    return git_repo(core).log(managed_config(core, service_id).name, limit=limit)


def apply_service(core: Core, service_id: str, *, actor: Actor | None) -> str:
    """Apply the folder's file now (manual mode's pending change, or a retry after a failed apply)."""
    config = managed_config(core, service_id)
    name = config.name
    with core.stacks.locked(name):
        text = core.stacks.read(name)
        if text is None:
            raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist (the service is orphaned)")
        commit_hand_edits(core, name)
        with core.db.sessions() as session:  # re-read under the lock
            config = services_repo.get(session, config.id) or config
        apply.apply_existing(core, config, text, actor=actor, action="service.apply")
    return config.id


def redact_url(url: str) -> str:
    """A remote URL without the password or token it may carry (https://user:TOKEN@host/repo)."""
    parts = urlsplit(url)
    if "://" not in url or parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:••••••@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def status(core: Core) -> dict[str, Any]:
    git = git_repo(core)
    settings = core.settings
    with core.db.sessions() as session:
        remote_row = repo.repo_state(session)
        rows = repo.all_stacks(session)
    remote = {
        "configured": bool(settings.git_remote),
        "url": redact_url(settings.git_remote) or None,
        "branch": settings.git_branch,
        "state": (remote_row.state if remote_row else "unknown") if settings.git_remote else "disabled",
        "detail": remote_row.detail if remote_row else None,
        "head": remote_row.head if remote_row else None,
        "remote_head": remote_row.remote_head if remote_row else None,
        "synced_at": remote_row.synced_at if remote_row else None,
    }
    stacks = [{"name": name, "service_id": row.service_id, **state_view(row)}
              for name, row in sorted(rows.items()) if row.state != "synced"]
    dirty = git.dirty()
    recent = rounds.latest(core, 10)
    return {
        "stacks_dir": str(git.root),
        "branch": git.branch(),
        "head": git.head(),
        "apply": settings.gitops_apply,
        "prune": settings.gitops_prune,
        "uncommitted": sorted(p for paths in dirty.values() for p in paths),
        "remote": remote,
        "stacks": stacks,
        "recent_commits": git.log(limit=10),
        "rounds": recent,
        "last_round": recent[0] if recent else None,
    }


def run_reconcile(core: Core) -> dict[str, Any]:
    return reconcile(core, trigger="api")
