"""The optional remote (SDMD_GIT_REMOTE): fetch and fast-forward only, push sdmd's own commits.

A remote that has moved on while the local branch also has commits of its own is *diverged*: it is
reported (status endpoint, audit log) and left alone. sdmd never force-pushes and never merges.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sdmd.audit.log import record
from sdmd.auth.identity import GITOPS
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.gitops import repository as repo
from sdmd.gitops.git import GitError, GitRepo
from sdmd.notifications import messages
from sdmd.services.definition import NAME_RE

log = logging.getLogger("sdmd.gitops")

DISABLED = "disabled"
IN_SYNC = "in_sync"
PULLED = "pulled"
PUSHED = "pushed"
DIVERGED = "diverged"
REJECTED = "rejected"
ERROR = "error"
RETRY = "retry"


@contextmanager
def locked_stacks(core: Core, names: Iterable[str]) -> Iterator[None]:
    """Several stack locks, always taken in name order so two holders cannot deadlock."""
    with ExitStack() as stack:
        for name in sorted({n for n in names if NAME_RE.match(n)}):
            stack.enter_context(core.stacks.locked(name))
        yield


def bootstrap(core: Core, git: GitRepo) -> str | None:
    """An empty local repository and a remote that has the branch: start from the remote's history.

    Without -f, so a local file that the remote also has stops it with an error instead of being lost.
    """
    url, branch = core.settings.git_remote, core.settings.git_branch
    if not url or git.head() is not None:
        return None
    remote_head = git.fetch(url, branch)
    if remote_head is None:
        return None
    with locked_stacks(core, git.tree_folders(remote_head)), git.lock():
        if git.head() is None:
            git.checkout_new(branch, remote_head)
    _record(core, PULLED, f"started from the remote's {branch}", git.head(), remote_head)
    return remote_head


def sync(core: Core, git: GitRepo) -> dict[str, Any]:
    """One round: fetch; fast-forward when only the remote moved; push when only we moved."""
    url, branch = core.settings.git_remote, core.settings.git_branch
    if not url:
        return {"state": DISABLED}
    local = remote_head = None
    try:
        remote_head = git.fetch(url, branch)
        local = git.head()
        if local is None:
            bootstrap(core, git)
            local = git.head()
            state, detail = (PULLED, "started from the remote") if local else (IN_SYNC, "both empty")
        elif remote_head is None or (remote_head != local and git.is_ancestor(remote_head, local)):
            state, detail = _push(git, url, branch)
            if state == PUSHED:
                remote_head = local
        elif remote_head == local:
            state, detail = IN_SYNC, None
        elif git.is_ancestor(local, remote_head):
            state, detail = _fast_forward(core, git, local, remote_head)
            local = git.head()
        else:
            state = DIVERGED
            detail = (f"the local branch ({local[:12]}) and {url} {branch} ({remote_head[:12]}) both have commits "
                      "the other lacks; sdmd does not merge or force-push: reconcile them by hand "
                      "(e.g. git pull --rebase in the stacks folder, then push)")
    except GitError as exc:
        state, detail = ERROR, exc.details
    _record(core, state, detail, local, remote_head)
    return {"state": state, "detail": detail, "head": local, "remote_head": remote_head}


def _push(git: GitRepo, url: str, branch: str) -> tuple[str, str | None]:
    proc = git.push(url, branch)
    if proc.returncode == 0:
        return PUSHED, None
    text = (proc.stdout + proc.stderr).strip()
    if "rejected" in text or "non-fast-forward" in text or "fetch first" in text:
        return REJECTED, f"the remote refused the push (it moved on meanwhile): {text[-1000:]}"
    return ERROR, f"push failed: {text[-1000:]}"


def _fast_forward(core: Core, git: GitRepo, local: str, remote_head: str) -> tuple[str, str | None]:
    folders = git.changed_folders(local, remote_head)
    # The pull rewrites those stacks' files: no API write may be half-way through one of them.
    with locked_stacks(core, folders), git.lock():
        if git.head() != local:
            return RETRY, "a local commit arrived during the pull; trying again next round"
        git.fast_forward(remote_head)
    record(core.db, actor=GITOPS, action="gitops.pull",
           details={"from": local, "to": remote_head, "folders": folders})
    return PULLED, f"fast-forwarded {local[:12]}..{remote_head[:12]} ({', '.join(folders) or 'no stacks'})"


def _record(core: Core, state: str, detail: str | None, head: str | None, remote_head: str | None) -> None:
    """Keep the standing for the status endpoint; a new problem goes to the audit log once."""
    with core.db.session() as session:
        row = repo.repo_state_for_update(session)
        changed = (row.state, row.detail) != (state, detail)
        row.state, row.detail, row.head, row.remote_head = state, detail, head, remote_head
        row.synced_at = utcnow()
    if changed and state in (DIVERGED, REJECTED, ERROR):
        record(core.db, actor=GITOPS, action="gitops.remote", outcome="error",
               details={"state": state, "error": detail, "head": head, "remote_head": remote_head})
        if state == DIVERGED:
            messages.gitops_diverged(core, detail=detail, head=head, remote_head=remote_head)
