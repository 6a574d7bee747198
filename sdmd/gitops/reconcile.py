"""One reconcile round: commit hand edits, sync the remote, then bring each stack in line with its folder.

Run by the API process (file watcher + every SDMD_RECONCILE_SECONDS) and by `sdmd reconcile`.
Each stack is handled under its lock, so an API write and a reconcile never interleave on one stack.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sdmd.auth.identity import GITOPS
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.errors import InvalidInput, SdmdError
from sdmd.gitops import apply, remote, rounds
from sdmd.gitops import repository as repo
from sdmd.gitops.context import git_repo, refresh_hashes
from sdmd.gitops.git import GITOPS as GITOPS_AUTHOR
from sdmd.gitops.git import GitError
from sdmd.gitops.hooks import commit_hand_edits
from sdmd.services import repository as services_repo
from sdmd.services.definition import NAME_RE, content_hash

log = logging.getLogger("sdmd.gitops")


@dataclass
class Outcome:
    name: str
    action: str
    detail: str | None = None
    commit: str | None = None


def reconcile(core: Core, *, names: Iterable[str] | None = None, remote_sync: bool = True,
              trigger: str = "periodic") -> dict[str, Any]:
    """Everything (names=None) or just the given stack folders (what the file watcher saw change).

    Each round is kept (gitops/rounds.py) with its errors, for the status endpoint.
    """
    only = set(names) if names is not None else None
    started = utcnow()
    scope = sorted(only) if only is not None else None
    try:
        report = _round(core, only, remote_sync)
    except Exception as exc:
        rounds.record(core, started_at=started, trigger=trigger, scope=scope, report=None, failure=exc)
        raise
    rounds.record(core, started_at=started, trigger=trigger, scope=scope, report=report)
    return report


def _round(core: Core, only: set[str] | None, remote_sync: bool) -> dict[str, Any]:
    git = git_repo(core)
    settings = core.settings
    commits: list[str] = []
    commit_error: str | None = None
    remote_report: dict[str, Any] | None = None
    try:
        if remote_sync and settings.git_remote:
            remote.bootstrap(core, git)
        # Also the first commit of a new repository: folder by folder, each under its stack's lock,
        # so a file the API is writing right now is never committed in someone else's name.
        commits += _commit_hand_edits(core, only)
    except GitError as exc:
        log.warning("reconcile could not commit hand edits: %s", exc.details)
        commit_error = exc.details
    if remote_sync and settings.git_remote:
        remote_report = remote.sync(core, git)
    outcomes = []
    for name in _candidates(core, only):
        with core.stacks.locked(name):
            outcomes.append(_reconcile_one(core, name))
    return {"commits": commits, "remote": remote_report, "commit_error": commit_error,
            "stacks": [asdict(o) for o in outcomes if o.action != "in_sync" or only is not None]}


def _commit_hand_edits(core: Core, only: set[str] | None) -> list[str]:
    git = git_repo(core)
    commits = []
    for top, paths in sorted(git.dirty().items()):
        if only is not None and top not in only:
            continue
        if top and NAME_RE.match(top):
            with core.stacks.locked(top):
                sha = commit_hand_edits(core, top)
        else:
            sha = git.commit(paths, author=GITOPS_AUTHOR,
                             message="Hand edits outside service folders\n\nsdmd-action: gitops.commit\n")
        if sha:
            commits.append(sha)
    return commits


def _candidates(core: Core, only: set[str] | None) -> list[str]:
    with core.db.sessions() as session:
        known = {c.name for c in services_repo.all_configs(session)} | set(repo.all_stacks(session))
    names = set(core.stacks.names()) | known
    if only is not None:
        names &= only
    return sorted(n for n in names if NAME_RE.match(n))


def _reconcile_one(core: Core, name: str) -> Outcome:
    try:
        return _reconcile_locked(core, name)
    except InvalidInput as exc:
        return Outcome(name, "invalid", exc.details or exc.message)
    except SdmdError as exc:
        return Outcome(name, "failed", f"{exc.message}: {exc.details}" if exc.details else exc.message)
    except Exception as exc:  # one broken stack must not stop the others or the loop
        log.exception("reconcile of %s failed", name)
        return Outcome(name, "failed", type(exc).__name__)


def _reconcile_locked(core: Core, name: str) -> Outcome:
    settings = core.settings
    auto = settings.gitops_apply == "auto"
    text = core.stacks.read(name)
    with core.db.sessions() as session:
        config = services_repo.get_by_name(session, name)
        state = repo.get(session, name)

    if text is None:
        if config is None:
            if state is not None:  # an invalid new folder that has since been removed
                with core.db.session() as session:
                    repo.remove(session, name)
            return Outcome(name, "gone")
        return Outcome(name, apply.folder_gone(core, config, actor=GITOPS, prune=settings.gitops_prune))

    text_hash = content_hash(text)
    if config is None:
        if state is not None and state.error_hash == text_hash:
            return Outcome(name, "invalid", state.error)  # reported once already; wait for the next edit
        service_id = apply.create_from_folder(core, name, text, actor=GITOPS, apply=auto)
        return Outcome(name, "created" if auto else "pending", service_id, state_commit(core, name))

    if state is not None and state.orphaned_at is not None:
        with core.db.session() as session:  # the folder is back
            repo.get_or_create(session, name).orphaned_at = None

    if text_hash == config.content_hash:
        if state is not None and (state.error or (state.pending_hash and state.pending_hash != text_hash)):
            with core.db.session() as session:  # the file is back to what is running
                row = repo.get_or_create(session, name)
                row.error = row.error_hash = None
                if row.pending_hash != text_hash:
                    row.pending_hash = None
        refresh_hashes(core, name, text)
        return Outcome(name, "in_sync")

    if state is not None and state.error_hash == text_hash:
        return Outcome(name, "invalid", state.error)
    if not auto:
        if state is not None and state.pending_hash == text_hash:
            return Outcome(name, "pending")
        apply.mark_pending(core, config, text, actor=GITOPS)
        return Outcome(name, "pending", None, state_commit(core, name))
    commit = apply.apply_existing(core, config, text, actor=GITOPS, action="gitops.apply")
    return Outcome(name, "applied", None, commit)


def state_commit(core: Core, name: str) -> str | None:
    with core.db.sessions() as session:
        row = repo.get(session, name)
        return row.last_commit if row else None
