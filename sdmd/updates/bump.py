"""A tag bump as a git change: edit the image line, commit, and (after a failed gate) revert.

Runs inside the stack's lock, held by the cycle for the whole edit -> up -> gate -> keep|revert
sequence, so neither the API nor a reconcile round sees the file half-way. The edit goes through
the byte-minimal edit engine (`sdmd.services.editing.apply_merge_patch`): a one-line diff, every
comment kept. The commit comes first, then the apply: the history shows what was tried; a rollback
writes the previous file back and records it as a revert commit, so the history shows both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sdmd.core import Core
from sdmd.docker.registry import familiar
from sdmd.gitops import hooks as gitops_hooks
from sdmd.gitops import repository as gitops_repo
from sdmd.gitops.context import compute_service_hashes, git_repo, store_hashes
from sdmd.gitops.git import GitError, author_for
from sdmd.services import repository as services_repo
from sdmd.services.definition import content_hash, parse_yaml
from sdmd.services.editing import apply_merge_patch
from sdmd.updates.check import Tracked
from sdmd.updates.records import RunContext
from sdmd.updates.refs import parse_ref

log = logging.getLogger("sdmd.updates")


@dataclass(frozen=True)
class Edit:
    previous: str
    text: str
    title: str
    commit: str | None


def title(service_name: str, bumps: list[Tracked]) -> str:
    """`Update web: nginx 1.27.1 → 1.27.3` (several images joined by commas)."""
    changes = ", ".join(f"{familiar(t.ref.repository)} {t.ref.tag} → {t.candidate_tag}" for t in bumps)
    return f"Update {service_name}: {changes}"


def new_image_line(t: Tracked) -> str:
    """The image as the file writes it (registry spelling kept), with the candidate tag."""
    written = parse_ref(t.file_image or t.image)
    return f"{written.repository}:{t.candidate_tag}"


def _trailers(action: str, ctx: RunContext) -> str:
    return f"sdmd-action: {action}\nsdmd-actor: {ctx.actor.display_name}\n"


def write(core: Core, ctx: RunContext, bumps: list[Tracked]) -> Edit:
    """Edit and commit compose.yaml; validated by compose first. Raises (file untouched) on any problem."""
    name = ctx.service_name
    gitops_hooks.before_change(core, name=name, action="update")  # a person's uncommitted edit stays theirs
    previous = core.stacks.read(name) or ""
    patch = {"services": {service: {"image": new_image_line(t)} for t in bumps for service in t.services}}
    text = apply_merge_patch(previous, patch)
    parse_yaml(text)
    with core.stacks.candidate(name, text) as draft:
        core.docker.compose_config(draft)
    core.stacks.write(name, text)
    subject = title(name, bumps)
    commit = _commit(core, ctx, f"{subject}\n\n{_trailers('update.bump', ctx)}")
    return Edit(previous=previous, text=text, title=subject, commit=commit)


def keep(core: Core, ctx: RunContext, edit: Edit) -> None:
    """The bump passed its gate: mirror the new file, as any applied change is."""
    name = ctx.service_name
    text_hash = content_hash(edit.text)
    try:
        hashes = compute_service_hashes(core, name, edit.text)
    except Exception as exc:  # drift then compares without config hashes until the next change
        log.warning("no config hashes for %s: %s", name, exc)
        hashes = None
    with core.db.session() as session:
        row = services_repo.get(session, ctx.service_id)
        if row is not None:
            row.compose_text = edit.text
            row.content_hash = text_hash
            services_repo.add_history(session, ctx.service_id, status="deployed", event="update",
                                      detail=f"{edit.title} (commit {edit.commit})" if edit.commit else edit.title)
        state = gitops_repo.get_or_create(session, name)
        state.service_id = ctx.service_id
        state.applied_hash = text_hash
        state.pending_hash = state.error = state.error_hash = None
        state.last_commit = edit.commit or state.last_commit
        store_hashes(state, text_hash, hashes)
    _push_soon(core)


def revert(core: Core, ctx: RunContext, edit: Edit, reason: str) -> str | None:
    """Write the previous file back and record it as a revert of the bump's commit."""
    core.stacks.write(ctx.service_name, edit.previous)
    body = f"This reverts commit {edit.commit}.\n\n" if edit.commit else ""
    commit = _commit(core, ctx, f'Revert "{edit.title}"\n\n{body}{reason[:2000]}\n\n'
                                f"{_trailers('update.rollback', ctx)}")
    with core.db.session() as session:
        services_repo.add_history(session, ctx.service_id, status="rolled_back", event="update",
                                  detail=f"{edit.title}: {reason}"[:2000])
        if commit:
            gitops_repo.get_or_create(session, ctx.service_name).last_commit = commit
    _push_soon(core)
    return commit


def _commit(core: Core, ctx: RunContext, message: str) -> str | None:
    try:
        return git_repo(core).commit([ctx.service_name], author=author_for(ctx.actor), message=message)
    except GitError as exc:  # the next reconcile commits what is still uncommitted
        log.warning("could not commit the update of %s: %s", ctx.service_name, exc.details)
        return None


def _push_soon(core: Core) -> None:
    if core.settings.git_remote:
        from sdmd.gitops.loop import nudge

        nudge(core)
