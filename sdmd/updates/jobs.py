"""RQ job entry points, run by `sdmd worker` inside its own process (see sdmd/updates/queue.py)."""

from __future__ import annotations

import os
from typing import Any

from rq import get_current_job

from sdmd.auth.identity import SCHEDULER, Actor
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.live import progress
from sdmd.updates.cycle import run_update
from sdmd.updates.queue import redis_connection

_cores: dict[int, Core] = {}


def job_core() -> Core:
    """One Core per process, kept between jobs: its Docker client, database pool and Redis
    connection stay warm. Keyed by pid so a forked child never uses its parent's connections."""
    pid = os.getpid()
    core = _cores.get(pid)
    if core is None:
        _cores.clear()
        core = _cores[pid] = Core(Settings())
    return core


def actor_payload(actor: Actor) -> dict[str, Any]:
    return {"id": actor.id, "email": actor.email, "client_addr": actor.client_addr, "session_id": actor.session_id,
            "token_id": actor.token_id, "token_name": actor.token_name}


def run_update_job(service_id: str, mode: str, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    """`POST /api/services/{id}/update`, performed by the worker."""
    core = job_core()
    job = get_current_job()
    redis = redis_connection(core.settings)
    # live: the run's progress goes to a Redis stream keyed by the job id, where the API follows it
    sink = progress.RedisStreamSink(redis, job.id) if job else None
    with progress.publishing(sink):
        progress.emit("job", status="started", job_id=job.id if job else None)
        try:
            return run_update(core, redis, service_id=service_id, mode=mode,
                              actor=Actor(**actor) if actor else SCHEDULER, trigger="manual",
                              job_id=job.id if job else None)
        finally:
            if sink is not None:
                sink.end()
