"""Events worded for people, from what sdmd's domains report: update runs, GitOps, logins.

Each function builds the event and emits it; none raises into its caller. Container and host
events are in alerts.py (they need state across events).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from sdmd.notifications import repository as repo
from sdmd.notifications.emit import emit
from sdmd.notifications.events import Event, message, page_link, service_link

if TYPE_CHECKING:
    from sdmd.core import Core

log = logging.getLogger("sdmd.notifications")

LOCAL = "local"


def service_host(core: Core, name: str) -> str:
    """The host a service runs on: its database mirror of `x-sdmd.host`, else the file's, else local."""
    try:
        from sdmd.services import repository as services_repo
        from sdmd.services.placement import host_of_text_or_local

        with core.db.sessions() as session:
            config = services_repo.get_by_name(session, name)
        return config.host if config is not None else host_of_text_or_local(core.stacks.read(name))
    except Exception:  # an unreadable file still gets its alert
        return LOCAL


def _short(image_id: str | None) -> str:
    return (image_id or "?").removeprefix("sha256:")[:12]


def _changes(images: list[dict[str, Any]]) -> str:
    changed = [i for i in images if i.get("changed")] or images
    return ", ".join(f"{i.get('image')} ({_short(i.get('old_id'))} → {_short(i.get('new_id'))})" for i in changed)


def _fingerprint(images: list[dict[str, Any]]) -> str:
    """What makes an "update available" news: the candidate image of each changed reference,
    by whatever the cycle knows of it (image id, digest, tag)."""
    keys = ("image", "new_id", "new_digest", "digest", "candidate_digest", "new_tag", "candidate_tag", "candidate")
    changed = sorted(([i.get(k) for k in keys] for i in images if i.get("changed")), key=json.dumps)
    return hashlib.sha256(json.dumps(changed).encode()).hexdigest()


def update_run(core: Core, *, service_id: str, service_name: str, host: str, result: str, reason: str | None,
               images: list[dict[str, Any]], trigger: str) -> None:
    """After an update run is recorded (sdmd/updates/records.py)."""
    if result not in ("update_available", "updated", "rolled_back", "error"):
        return  # up_to_date, skipped: nothing to tell
    try:
        event = _update_event(core, service_id=service_id, name=service_name, host=host, result=result,
                              reason=reason, images=images, trigger=trigger)
        if event is not None:
            emit(core, event)
    except Exception:
        log.exception("update notification for %s not sent", service_name)


def _update_event(core: Core, *, service_id: str, name: str, host: str, result: str, reason: str | None,
                  images: list[dict[str, Any]], trigger: str) -> Event | None:
    link = service_link(core.settings, service_id)
    changes = _changes(images) if images else "its images"
    if result == "update_available":
        if not repo.set_mark(core.db, f"update_available:{service_id}", _fingerprint(images)):
            return None  # this candidate was announced already
        what = f"A newer image is available for {name}: {changes}."
        todo = "update it from the service page (Update now), or give it a schedule in update mode."
        return Event("update.available", f"{name} on {host}: update available", message(
            what=what, todo=todo, service=name, host=host, link=link), name, host, link)
    if result == "updated":
        repo.set_mark(core.db, f"update_available:{service_id}", _fingerprint(images))
        what = f"{name} was updated ({trigger}): {changes}; it passed its health gate."
        todo = "nothing. The previous image is kept for a rollback until the next successful update."
        return Event("update.updated", f"{name} on {host}: updated", message(
            what=what, todo=todo, service=name, host=host, link=link, details=reason), name, host, link)
    if result == "rolled_back":
        what = (f"The update of {name} to {changes} was rolled back: {reason or 'the health gate failed'}. "
                "The previous image runs again.")
        todo = ("read the reason and the new image's release notes before updating again; pin the tag "
                "or fix the healthcheck if the new version needs it.")
        return Event("update.rolled_back", f"{name} on {host}: update rolled back ({changes})", message(
            what=what, todo=todo, service=name, host=host, link=link), name, host, link)
    if result == "error":
        rollback_failed = "rollback failed" in (reason or "")
        what = f"The update of {name} failed: {reason or 'unknown error'}."
        todo = ("check the service now: the rollback failed, so it may be down or on the new image."
                if rollback_failed else
                "check that the registry is reachable and the image and tag exist; the service was left as it was.")
        return Event("update.failed", f"{name} on {host}: update failed", message(
            what=what, todo=todo, service=name, host=host, link=link), name, host, link)
    return None  # up_to_date, skipped: nothing to tell


def gitops_apply_error(core: Core, *, name: str, error: str, service_id: str | None) -> None:
    """A stack folder's new compose file could not be applied (reported once per file version)."""
    try:
        host = service_host(core, name)
        link = service_link(core.settings, service_id) or page_link(core.settings, "audit", action="gitops.*")
        what = (f"stacks/{name}/compose.yaml changed in git but could not be applied. "
                "The last good version keeps running.")
        todo = ("fix the file (see git log and git diff in the stacks folder) and commit it; sdmd applies it "
                "on its next reconcile round, or now with Apply on the service page.")
        emit(core, Event("gitops.apply_error", f"{name} on {host}: GitOps apply failed", message(
            what=what, todo=todo, service=name, host=host, link=link, details=error), name, host, link))
    except Exception:
        log.exception("gitops notification for %s not sent", name)


def gitops_diverged(core: Core, *, detail: str | None, head: str | None, remote_head: str | None) -> None:
    try:
        remote = core.settings.git_remote
        what = (f"The stacks repository and its remote {remote} ({core.settings.git_branch}) have diverged: "
                f"local {_short(head)}, remote {_short(remote_head)}. sdmd neither merges nor force-pushes.")
        todo = "in the stacks folder run git pull --rebase (resolve any conflict); the next round pushes."
        link = page_link(core.settings, "audit", action="gitops.remote")
        emit(core, Event("gitops.diverged", "sdmd GitOps: the stacks repository diverged from its remote", message(
            what=what, todo=todo, service=None, host=None, link=link, details=detail), None, None, link))
    except Exception:
        log.exception("gitops diverged notification not sent")


def login_throttled(core: Core, *, username: str, client_addr: str | None, details: str | None) -> None:
    """Once per username and address per flap window, however hard someone keeps trying."""
    try:
        window = core.settings.notify_flap_window_seconds
        addr = client_addr or "an unknown address"
        what = f"Logins for {username!r} from {addr} are being refused after repeated failures ({details})."
        todo = ("if this was not you or a colleague, someone is guessing passwords: check the audit log "
                "(auth.login_failed) and block the address at your proxy or firewall; if it was, wait and retry.")
        link = page_link(core.settings, "audit", action="auth.login_failed")
        emit(core, Event("security.login_throttled", f"sdmd security: logins throttled for {username}", message(
            what=what, todo=todo, service=None, host=None, link=link), None, None, link),
             once_key=f"login:{username}:{client_addr}", once_seconds=window)
    except Exception:
        log.exception("login throttled notification not sent")
