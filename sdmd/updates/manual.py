"""Running the update cycle now, in the worker: shared by `POST /api/services/{id}/update` and deploy
webhooks. The job is the one a schedule runs, so manual runs take the same code path and lock."""

from __future__ import annotations

import math
import time
from typing import Any

from fastapi import Response
from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from rq.results import Result

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import UpstreamError, UpstreamUnavailable
from sdmd.live import progress
from sdmd.updates.jobs import actor_payload, run_update_job
from sdmd.updates.queue import redis_connection, redis_unavailable, update_queue, workers_listening


def job_view(job: Job, result: Result | None) -> dict[str, Any]:
    if result is None:
        return {"job_id": job.id, "status": str(job.get_status(refresh=True) or "unknown")}
    if result.type == Result.Type.SUCCESSFUL:
        return {"job_id": job.id, "status": JobStatus.FINISHED.value, "run": result.return_value}
    return {"job_id": job.id, "status": JobStatus.FAILED.value,
            "error": (result.exc_string or "the job failed").strip().splitlines()[-1][:500]}


def _wait_for_result(job: Job, seconds: float) -> Result | None:
    """Block until the job has a result or `seconds` pass, in slices shorter than the Redis
    client's socket timeout (5 s by default), which a single long XREAD BLOCK would exceed."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        result = job.latest_result(timeout=max(1, min(4, math.ceil(remaining))))
        if result is not None:
            return result
    return None


def enqueue_update(core: Core, service_id: str, *, mode: str, actor: Actor, wait: float | None) -> dict[str, Any]:
    """Enqueue the update job (as a schedule would) and wait up to `wait` seconds for its run.

    Shared by `POST /api/services/{id}/update` and deploy webhooks (sdmd/webhooks)."""
    settings = core.settings
    try:
        conn = redis_connection(settings)
        if workers_listening(settings, conn) == 0:
            raise UpstreamUnavailable("no update worker running",
                                      "start `sdmd worker` (scripts/run.sh starts one next to the API)")
        job = update_queue(settings, conn).enqueue(
            run_update_job, service_id, mode, actor_payload(actor), job_timeout=settings.update_lock_seconds,
            result_ttl=86400, failure_ttl=7 * 86400, description=f"update {service_id} ({mode})")
        wait_seconds = settings.update_wait_seconds if wait is None else wait
        if progress.active():  # live: relay the worker's events as they happen, then the run itself
            progress.emit("job", status="queued", job_id=job.id)
            progress.relay_job(conn, job.id, timeout=settings.update_lock_seconds)
            wait_seconds = 5.0
        view = job_view(job, _wait_for_result(job, wait_seconds))
    except RedisError as exc:
        raise redis_unavailable(exc) from exc
    if view["status"] == JobStatus.FAILED.value:
        raise UpstreamError("update job failed", view.get("error"))
    return view


def respond(response: Response, view: dict[str, Any]) -> dict[str, Any]:
    """200 with the run when it finished, else 202 pointing at the job."""
    if view.get("run") is None:
        response.status_code = 202
        response.headers["Location"] = f"/api/updates/jobs/{view['job_id']}"
    return view
