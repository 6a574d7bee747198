"""What the services engine calls: commit each API change, and annotate service views with gitops state.

Called inside the stack lock. A git failure never undoes an applied change: it is logged and noted
in the audit record, and the next reconcile commits whatever is still uncommitted.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sdmd.audit.log import AuditScope
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.gitops import drift
from sdmd.gitops import repository as repo
from sdmd.gitops.context import compute_service_hashes, git_repo, remember_hashes, store_hashes
from sdmd.gitops.git import GITOPS, GitError, PreparedCommit, author_for
from sdmd.services.definition import content_hash
from sdmd.services.models import DockerServiceConfig

if TYPE_CHECKING:
    from sdmd.docker import DockerGateway

log = logging.getLogger("sdmd.gitops")

SCOPED_ROWS_MAX = 100  # annotating up to this many views reads their rows by name, more reads them all
VERBS = {"create": "Create", "update": "Update", "delete": "Delete", "adopt": "Adopt", "apply": "Apply"}


def commit_message(action: str, name: str, actor: Actor | None, title: str | None = None) -> str:
    who = actor.display_name if actor else "sdmd"
    title = title or f"{VERBS.get(action, action.capitalize())} service {name}"
    return f"{title}\n\nsdmd-action: service.{action}\nsdmd-actor: {who}\n"


def commit_hand_edits(core: Core, name: str) -> str | None:
    """Commit whatever a person changed in stacks/<name>/ as sdmd-gitops, so history stays complete."""
    git = git_repo(core)
    codes = git.status_codes(name)
    if not codes:
        return None
    if codes == {"??"}:
        title = f"Add {name} (found in the stacks folder)"
    elif all("D" in code for code in codes) and not core.stacks.directory(name).exists():
        title = f"Remove {name} (deleted from the stacks folder)"
    else:
        title = f"Hand edit of {name}"
    return git.commit([name], author=GITOPS, message=f"{title}\n\nsdmd-action: gitops.commit\n")


def before_change(core: Core, *, name: str, action: str, config: DockerServiceConfig | None = None) -> None:
    """Before the API writes stacks/<name>/: keep a person's uncommitted edit as its own commit."""
    try:
        commit_hand_edits(core, name)
    except GitError as exc:
        log.warning("could not commit hand edits of %s before %s: %s", name, action, exc.details)
    if action == "delete" and config is not None and not core.stacks.exists(name):
        # An orphaned service (its folder was deleted by hand): put the last applied file back so the
        # delete takes its containers down like any other.
        core.stacks.write(name, config.compose_text)


_hash_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="config-hash")


def hashes_in_background(core: Core, *, name: str, text: str,
                         model: dict[str, Any] | None = None) -> Future[dict[str, Any]]:
    """Start computing the config hashes while `compose up` runs: compose calls that would otherwise
    add to every create and update. `model`: compose's normalised model of `text` (validation's), so
    only `config --hash` runs."""
    return _hash_pool.submit(compute_service_hashes, core, name, text, model)


def hashes_after_up(core: Core, gateway: DockerGateway, *, name: str, text: str,
                    model: dict[str, Any]) -> Future[dict[str, Any]]:
    """The config hashes of `text` once `compose up` applied it on `gateway`'s host: read off the labels
    of the containers up made (one listing), or, when those cannot say, computed by compose meanwhile."""
    try:
        hashes = drift.hashes_from_labels(model, gateway.compose_containers(name))
    except Exception as exc:  # the change is applied: never fail it here; compose can still say
        log.info("config hashes of %s from compose, not its containers: %s", name, getattr(exc, "details", exc))
        hashes = None
    if hashes is None:
        return hashes_in_background(core, name=name, text=text, model=model)
    remember_hashes(core, name, text, hashes)
    done: Future[dict[str, Any]] = Future()
    done.set_result(hashes)
    return done


_commit_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="git-prepare")


def prepare_commit(core: Core, *, name: str, actor: Actor | None, action: str,
                   title: str | None = None) -> Future[PreparedCommit]:
    """Once stacks/<name>/ holds the new file: build after_change's commit while `compose up` runs (seven
    git calls); after_change then only moves HEAD to it. Nothing any ref names changes until then, so a
    process killed meanwhile leaves the change uncommitted, as before: the next reconcile commits it."""
    message = commit_message(action, name, actor, title)
    # Everything in the pool's thread: a git failure lands in the future, and after_change commits the usual way.
    return _commit_pool.submit(lambda: git_repo(core).prepare([name], author=author_for(actor), message=message))


def settle(prepared: Future[PreparedCommit] | None) -> None:
    """The apply failed: let a commit being prepared end before the folder is put back (its result is dropped)."""
    if prepared is not None:
        with contextlib.suppress(Exception):
            prepared.result()


def _commit(core: Core, name: str, actor: Actor | None, action: str, title: str | None,
            prepared: Future[PreparedCommit] | None) -> str | None:
    git = git_repo(core)
    message = commit_message(action, name, actor, title)
    if prepared is not None:
        try:
            ready = prepared.result()
        except Exception as exc:  # commit the ordinary way, which says what is wrong if it still is
            log.info("preparing the commit of %s failed: %s", name, getattr(exc, "details", exc))
        else:
            if ready.message == message and ready.paths == [name]:
                return git.finish(ready)
    return git.commit([name], author=author_for(actor), message=message)


def after_change(core: Core, *, name: str, actor: Actor | None, action: str, audit: AuditScope,
                 service_id: str | None, hashes_future: Future[dict[str, Any]] | None = None,
                 title: str | None = None, prepared: Future[PreparedCommit] | None = None) -> str | None:
    """After the file was written, applied and mirrored: one commit by the acting user (`prepared`:
    built meanwhile by prepare_commit)."""
    sha = None
    try:
        sha = _commit(core, name, actor, action, title, prepared)
    except GitError as exc:
        log.warning("could not commit %s of %s: %s", action, name, exc.details)
        audit.details["commit_error"] = exc.details
    if sha:
        audit.details["commit"] = sha
    if action == "delete":
        with core.db.session() as session:
            repo.remove(session, name)
    else:
        text = core.stacks.read(name) or ""
        try:
            hashes = hashes_future.result() if hashes_future else compute_service_hashes(core, name, text)
        except Exception as exc:  # drift then compares without config hashes until the next change
            log.warning("no config hashes for %s: %s", name, exc)
            hashes = None
        with core.db.session() as session:
            row = repo.get_or_create(session, name)
            row.service_id = service_id
            row.applied_hash = content_hash(text)
            row.pending_hash = row.error = row.error_hash = None
            row.orphaned_at = None
            row.last_commit = sha or row.last_commit
            store_hashes(row, content_hash(text), hashes)
    if sha:
        from sdmd.gitops.signals import nudge

        nudge(core)  # push soon, outside this request
    return sha


def state_view(row: Any) -> dict[str, Any]:
    if row is None:
        return {"state": "synced"}
    return {"state": row.state, "error": row.error, "pending_hash": row.pending_hash,
            "last_commit": row.last_commit, "orphaned_at": row.orphaned_at}


def annotate(core: Core, views: list[dict[str, Any]], containers: dict[str, list[dict[str, Any]] | None]) -> None:
    """Add `drift` and `gitops` to managed service views: DB reads and file reads, no Docker calls.

    `containers` maps a view's id to the raw containers of its project on its host, or None when that
    host is not connected (drift is then unknown: None).
    """
    managed = [v for v in views if v.get("managed")]
    if not managed:
        return
    names = {v["name"] for v in managed}
    with core.db.sessions() as session:  # one service (GET, or the answer to a change): its row alone
        rows = repo.all_stacks(session, names if len(names) <= SCOPED_ROWS_MAX else None)
    for view in managed:
        name = view["name"]
        row = rows.get(name)
        text = core.stacks.read(name)
        file_hash = content_hash(text) if text is not None else None
        expected, compared_with = drift.expected_for(row, file_hash, view.get("content_hash"))
        view["file_hash"] = file_hash
        if "compose" in view and text is not None:
            view["compose"] = text  # the file, not the mirror: what PUT edits and the ETag names
        view["gitops"] = state_view(row)
        found = containers.get(view["id"])
        view["drift"] = None if found is None else drift.compute(
            file_hash=file_hash, mirror_hash=view.get("content_hash"), expected=expected,
            compared_with=compared_with, containers=found)
