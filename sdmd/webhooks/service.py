"""Deploy webhooks: a per-service secret URL, `POST /api/webhooks/{secret}`, for CI pipelines.

The secret is the credential (256 random bits, shown once); only its SHA-256 is stored and a call is
looked up by that hash, then compared with hmac.compare_digest. An unknown, rotated or revoked secret
all take the same path to the same 404 (rotating or revoking overwrites the stored hash). Calls are
rate-limited per webhook, and calls with unknown secrets per client address (SDMD_WEBHOOK_* settings).

Actions: `update` enqueues the service's update cycle exactly as `POST /api/services/{id}/update` does
(mode `update` or `check`); `apply` syncs the stacks repository with its git remote (when one is set:
after a `git push`) and applies the service's folder, as `POST /api/services/{id}/apply` does.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import timedelta
from typing import Any

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id, utcnow
from sdmd.errors import Conflict, NotFound, TooManyRequests
from sdmd.gitops import remote
from sdmd.gitops import service as gitops_service
from sdmd.gitops.context import git_repo
from sdmd.services import repository as services_repo
from sdmd.updates.manual import enqueue_update
from sdmd.webhooks import repository as repo
from sdmd.webhooks.models import Webhook

log = logging.getLogger("sdmd.webhooks")

PATH = "/api/webhooks/"
REMOTE_FAILED = {"diverged", "rejected", "error"}
# The hash a missing secret is compared with, so a miss does the same work as a hit.
_NO_MATCH = hashlib.sha256(b"sdmd: no webhook").hexdigest()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return secret, _digest(secret)


def view(hook: Webhook, service_name: str | None = None) -> dict[str, Any]:
    return {"id": hook.id, "service_id": hook.service_id, "service_name": service_name, "action": hook.action,
            "mode": hook.mode, "description": hook.description, "created_at": hook.created_at,
            "created_by": hook.created_by, "rotated_at": hook.rotated_at, "last_called_at": hook.last_called_at}


def _service(core: Core, service_id: str):
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is None:
        raise NotFound("service not found", f"No managed service with ID {service_id} exists")
    return config


def list_webhooks(core: Core, *, service_id: str | None = None) -> list[dict[str, Any]]:
    sid = _service(core, service_id).id if service_id else None
    with core.db.sessions() as session:
        names = {c.id: c.name for c in services_repo.all_configs(session)}
        return [view(h, names.get(h.service_id)) for h in repo.active(session, service_id=sid)]


def create(core: Core, *, service_id: str, action: str, mode: str, description: str | None,
           actor: Actor) -> dict[str, Any]:
    config = _service(core, service_id)
    secret, digest = _new_secret()
    with audited(core.db, actor, "webhook.create", target_id=config.id, target_name=config.name,
                 details={"action": action, "mode": mode}) as audit, core.db.session() as session:
        hook = Webhook(id=new_id("whk"), service_id=config.id, action=action, mode=mode,
                       description=(description or "").strip() or None, secret_hash=digest, created_at=utcnow(),
                       created_by=actor.display_name)
        session.add(hook)
        session.flush()
        audit.details["webhook_id"] = hook.id
        return {**view(hook, config.name), "secret": secret, "url": PATH + secret}


def _get(core: Core, webhook_id: str) -> tuple[Webhook, str]:
    with core.db.sessions() as session:
        hook = repo.get(session, webhook_id)
        if hook is None or hook.revoked_at is not None:
            raise NotFound("webhook not found", f"No webhook with ID {webhook_id} exists")
        config = services_repo.get(session, hook.service_id)
        return hook, config.name if config else hook.service_id


def rotate(core: Core, *, webhook_id: str, actor: Actor) -> dict[str, Any]:
    """A new secret; the old URL stops working at once."""
    hook, name = _get(core, webhook_id)
    secret, digest = _new_secret()
    with audited(core.db, actor, "webhook.rotate", target_id=hook.service_id, target_name=name,
                 details={"webhook_id": hook.id}), core.db.session() as session:
        row = repo.get(session, hook.id)
        row.secret_hash, row.rotated_at = digest, utcnow()
        session.flush()
        return {**view(row, name), "secret": secret, "url": PATH + secret}


def revoke(core: Core, *, webhook_id: str, actor: Actor) -> dict[str, Any]:
    hook, name = _get(core, webhook_id)
    with audited(core.db, actor, "webhook.revoke", target_id=hook.service_id, target_name=name,
                 details={"webhook_id": hook.id}), core.db.session() as session:
        row = repo.get(session, hook.id)
        # The secret's hash is overwritten: a revoked URL is indistinguishable from one never issued.
        row.revoked_at, row.secret_hash = utcnow(), _digest(secrets.token_urlsafe(32))
        session.flush()
        return view(row, name)


def _retry_after(calls: list, limit: int, window: int) -> int | None:
    if len(calls) < limit:
        return None
    return max(1, math.ceil((calls[-1] + timedelta(seconds=window) - utcnow()).total_seconds()))


def _find(core: Core, secret: str, client_addr: str | None) -> Webhook:
    s = core.settings
    now = utcnow()
    window = timedelta(seconds=s.webhook_window_seconds)
    with core.db.sessions() as session:
        misses = repo.oldest_calls(session, since=now - window, misses_from=client_addr, limit=s.webhook_max_misses)
    wait = _retry_after(misses, s.webhook_max_misses, s.webhook_window_seconds)
    if wait is not None:
        raise TooManyRequests("too many requests",
                              f"too many unknown webhook URLs from this address; retry in {wait} s",
                              headers={"Retry-After": str(wait)})
    digest = _digest(secret)
    with core.db.sessions() as session:
        hook = repo.by_secret_hash(session, digest)
    matched = hmac.compare_digest(hook.secret_hash if hook else _NO_MATCH, digest)
    if hook is None or not matched or hook.revoked_at is not None:
        with core.db.session() as session:
            repo.add_call(session, webhook_id=None, client_addr=client_addr, at=now, prune_before=now - window)
        log.info("webhook call with an unknown secret from %s", client_addr)
        raise NotFound()
    return hook


def trigger(core: Core, *, secret: str, client_addr: str | None, wait: float) -> dict[str, Any]:
    hook = _find(core, secret, client_addr)
    config = _service(core, hook.service_id)
    _count_call(core, hook, client_addr)  # throttled calls end here, before the audit log
    actor = Actor(id="webhook", email=None, client_addr=client_addr, token_id=hook.id,
                  token_name=hook.description or f"{hook.action} webhook", aal="aal2")
    with audited(core.db, actor, "webhook.trigger", target_id=config.id, target_name=config.name,
                 details={"webhook_id": hook.id, "action": hook.action, "mode": hook.mode}) as audit:
        result: dict[str, Any] = {"webhook_id": hook.id, "service_id": config.id, "service_name": config.name,
                                  "action": hook.action, "job": None, "remote": None}
        if hook.action == "update":
            result["job"] = enqueue_update(core, config.id, mode=hook.mode, actor=actor, wait=wait)
            audit.details["job_id"] = result["job"]["job_id"]
        else:
            result["remote"] = _pull(core)
            gitops_service.apply_service(core, config.id, actor=actor)
        return result


def _count_call(core: Core, hook: Webhook, client_addr: str | None) -> None:
    s = core.settings
    now = utcnow()
    window = timedelta(seconds=s.webhook_window_seconds)
    with core.db.session() as session:
        calls = repo.oldest_calls(session, since=now - window, webhook_id=hook.id, limit=s.webhook_max_calls)
        wait_for = _retry_after(calls, s.webhook_max_calls, s.webhook_window_seconds)
        if wait_for is None:
            repo.add_call(session, webhook_id=hook.id, client_addr=client_addr, at=now, prune_before=now - window)
            row = repo.get(session, hook.id)
            if row is not None:
                row.last_called_at = now
    if wait_for is not None:
        raise TooManyRequests("too many requests", f"at most {s.webhook_max_calls} calls per "
                              f"{s.webhook_window_seconds} s; retry in {wait_for} s",
                              headers={"Retry-After": str(wait_for)})


def _pull(core: Core) -> dict[str, Any] | None:
    """Fetch and fast-forward the stacks repository from its remote, if it has one."""
    if not core.settings.git_remote:
        return None
    report = remote.sync(core, git_repo(core))
    if report.get("state") in REMOTE_FAILED:
        raise Conflict("the stacks repository could not be synced with its remote",
                       f"{report.get('state')}: {report.get('detail')}")
    return report
