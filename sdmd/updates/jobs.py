"""RQ job entry points. They run in the worker's forked work horse, so each builds its own Core."""

from __future__ import annotations

from typing import Any

from rq import get_current_job

from sdmd.auth.identity import SCHEDULER, Actor
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.updates.cycle import run_update
from sdmd.updates.queue import redis_connection


def actor_payload(actor: Actor) -> dict[str, Any]:
    return {"id": actor.id, "email": actor.email, "client_addr": actor.client_addr}


def run_update_job(service_id: str, mode: str, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    """`POST /api/services/{id}/update`, performed by the worker."""
    core = Core(Settings())
    try:
        job = get_current_job()
        return run_update(core, redis_connection(core.settings), service_id=service_id, mode=mode,
                          actor=Actor(**actor) if actor else SCHEDULER, trigger="manual",
                          job_id=job.id if job else None)
    finally:
        core.close()
