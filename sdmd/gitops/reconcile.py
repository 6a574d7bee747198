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
from sdmd.notifications import messages
from sdmd.services import repository as services_repo
from sdmd.services import teardown
from sdmd.services.definition import NAME_RE, content_hash

log = logging.getLogger("sdmd.gitops")

SCOPED_QUERY_MAX = 100  # up to this many stacks are read by name (IN); more, and all rows are read


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
    # What a killed process left behind (issue 19), before anything reads the folder.
    scratch = _remove_stale_scratch(core, only)
    finished = teardown.finish_pending_deletes(core)
    reapplied = _reapply_pending(core)
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
    candidates = _candidates(core, only)
    settled = _settled(core, candidates)
    for name in candidates:
        if name in settled:  # the common case at scale: no lock, no per-stack queries, no compose call
            outcomes.append(Outcome(name, "in_sync"))
            continue
        with core.stacks.locked(name):
            outcomes.append(_reconcile_one(core, name))
    return {"commits": commits, "remote": remote_report, "commit_error": commit_error,
            "stacks": [asdict(o) for o in outcomes if o.action != "in_sync" or only is not None],
            "removed_scratch": scratch, "finished_deletes": finished, "reapplied": reapplied}


def _reapply_pending(core: Core) -> list[str]:
    """Stacks whose last apply and restore both failed (the host went away mid-`compose up`): their
    containers may be anything, so the file (which is the mirror) is applied again once the host answers."""
    done = []
    for name in core.stacks.pending_intents("reapply"):
        with core.stacks.locked(name):
            text = core.stacks.read(name)
            with core.db.sessions() as session:
                config = services_repo.get_by_name(session, name)
            if config is not None and text is not None and text == config.compose_text:
                try:
                    core.gateway(config.host).compose_up(core.stacks.project(name))
                except SdmdError as exc:  # still away: the next round tries again
                    log.warning("re-applying %s failed: %s", name, exc.details or exc.message)
                    continue
                done.append(name)
            # else: gone, or the file changed since; the round below applies whatever it says now
            core.stacks.clear_intent("reapply", name)
    return done


def _remove_stale_scratch(core: Core, only: set[str] | None) -> list[str]:
    """Draft folders and write temporaries exist only while their stack's lock is held: any found
    while we hold that lock belong to a process that died (kill -9 mid-request)."""
    removed = []
    for name in sorted(core.stacks.scratch_owners(only)):
        with core.stacks.locked(name):
            removed += core.stacks.remove_scratch(name)
    if removed:
        log.info("removed scratch files a killed process left: %s", ", ".join(removed))
    return removed


def _commit_hand_edits(core: Core, only: set[str] | None) -> list[str]:
    git = git_repo(core)
    commits = []
    for top, paths in sorted(git.dirty(only).items()):
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
    """Every stack folder, service and gitops row (or those in `only`): names only, no rows loaded."""
    among = only if only is not None and len(only) <= SCOPED_QUERY_MAX else None
    with core.db.sessions() as session:
        known = set(services_repo.content_hashes(session, among)) | repo.names(session, among)
    names = set(core.stacks.names(among)) | known
    if only is not None:
        names &= only
    return sorted(n for n in names if NAME_RE.match(n))


def _settled(core: Core, names: list[str]) -> set[str]:
    """Stacks a round has nothing to do for, found with two queries for all of them and one file read
    each: the file is what was applied (its hash is the mirror's), no error, pending edit or orphan is
    recorded, and the config hashes of this very file are kept. `_reconcile_locked` would only say
    "in_sync" for them; it still handles every other stack, under its lock."""
    among = names if len(names) <= SCOPED_QUERY_MAX else None  # a watch round: just its few stacks
    with core.db.sessions() as session:
        applied = services_repo.content_hashes(session, among)
        states = {name: (row.error, row.pending_hash, row.orphaned_at, row.hashes_for, row.service_hashes)
                  for name, row in repo.all_stacks(session, among).items()}
    settled = set()
    for name in names:
        if name not in applied or name not in states:
            continue
        error, pending, orphaned, hashes_for, hashes = states[name]
        if error or pending or orphaned is not None or hashes is None:
            continue
        text = core.stacks.read(name)
        if text is not None and content_hash(text) == applied[name] == hashes_for:
            settled.add(name)
    return settled


def _reconcile_one(core: Core, name: str) -> Outcome:
    # A failure raises only the first time a file version fails (later rounds see its error_hash and
    # return "invalid" quietly), so it is notified once per version, like its audit record.
    try:
        return _reconcile_locked(core, name)
    except InvalidInput as exc:
        outcome = Outcome(name, "invalid", exc.details or exc.message)
    except SdmdError as exc:
        outcome = Outcome(name, "failed", f"{exc.message}: {exc.details}" if exc.details else exc.message)
    except Exception as exc:  # one broken stack must not stop the others or the loop
        log.exception("reconcile of %s failed", name)
        outcome = Outcome(name, "failed", type(exc).__name__)
    with core.db.sessions() as session:
        config = services_repo.get_by_name(session, name)
    messages.gitops_apply_error(core, name=name, error=outcome.detail or outcome.action,
                                service_id=config.id if config else None)
    return outcome


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
