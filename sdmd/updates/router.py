"""`POST /api/services/{id}/update`: the update cycle now, performed by the worker.

The request enqueues the same job a schedule runs and waits for its result (up to `wait`
seconds, default SDMD_UPDATE_WAIT_SECONDS): 200 with the run when it finished in time, else
202 with the job id to poll at `GET /api/updates/jobs/{job_id}`. Going through the worker keeps
one code path and one lock for scheduled and manual runs, and keeps long pulls off the API.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.results import Result

from sdmd.auth.dependencies import ActorDep
from sdmd.core import Core
from sdmd.deps import CoreDep
from sdmd.errors import Conflict, NotFound, UpstreamError, UpstreamUnavailable
from sdmd.live import progress
from sdmd.services import repository as services_repo
from sdmd.updates.jobs import actor_payload, run_update_job
from sdmd.updates.preview import service_updates
from sdmd.updates.queue import redis_connection, redis_unavailable, update_queue, workers_listening
from sdmd.updates.schemas import ServiceUpdatesRead, UpdateJobRead

router = APIRouter(prefix="/api", tags=["updates"])


def _service_id(core: Core, service_id: str) -> str:
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is not None:
        return config.id
    if service_id.startswith("ext_"):
        raise Conflict("service is not managed by sdmd", f"{service_id} is read-only; sdmd does not update it")
    raise NotFound("service not found", f"No service with ID {service_id} exists")


def _job_view(job: Job, result: Result | None) -> dict[str, Any]:
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


@router.get("/services/{service_id}/updates", response_model=ServiceUpdatesRead,
            summary="What an update would change, per image (asked live, nothing pulled)",
            description="For each image of the service: the running tag and registry digest, the candidate tag "
                        "and digest the image's x-sdmd policy allows, the policy, both sides' created dates and OCI "
                        "release labels, and release-notes / compare links derived from a GitHub source label. "
                        "Asks the registries (through the Docker daemon, and their HTTP API for tags and image "
                        "configs) with the stored credentials; pulls nothing. A registry that fails gives that "
                        "image `status: error` with the reason; the others are still answered.",
            responses={404: {"description": "no such service"},
                       409: {"description": "an unmanaged compose project, or its compose file is missing"}})
def updates_preview(service_id: str, core: CoreDep) -> dict[str, Any]:
    return service_updates(core, service_id)


@router.post("/services/{service_id}/update", response_model=UpdateJobRead,
             summary="Run the update cycle now (in the worker)",
             description="`mode=check` asks the registries and pulls nothing; `mode=update` pulls only images whose "
                         "digest or policy tag changed, commits a tag change to compose.yaml (author: the caller, or "
                         "sdmd-scheduler for schedules), applies it behind the health gate, and on failure restores "
                         "the previous images and file (a revert commit).",
             responses={202: {"model": UpdateJobRead, "description": "still running: poll the job"},
                        404: {"description": "no such service"}, 409: {"description": "not managed by sdmd"},
                        503: {"description": "no worker listens, or Redis is down"}})
def update_now(service_id: str, response: Response, core: CoreDep, actor: ActorDep,
               mode: Annotated[Literal["check", "update"], Query(description="check only reports")] = "update",
               wait: Annotated[float | None, Query(ge=0, le=3600, description="seconds to wait")] = None,
               ) -> dict[str, Any]:
    sid = _service_id(core, service_id)
    settings = core.settings
    try:
        conn = redis_connection(settings)
        if workers_listening(settings, conn) == 0:
            raise UpstreamUnavailable("no update worker running",
                                      "start `sdmd worker` (scripts/run.sh starts one next to the API)")
        job = update_queue(settings, conn).enqueue(
            run_update_job, sid, mode, actor_payload(actor), job_timeout=settings.update_lock_seconds,
            result_ttl=86400, failure_ttl=7 * 86400, description=f"update {service_id} ({mode})")
        wait_seconds = settings.update_wait_seconds if wait is None else wait
        if progress.active():  # live: relay the worker's events as they happen, then the run itself
            progress.emit("job", status="queued", job_id=job.id)
            progress.relay_job(conn, job.id, timeout=settings.update_lock_seconds)
            wait_seconds = 5.0
        view = _job_view(job, _wait_for_result(job, wait_seconds))
    except RedisError as exc:
        raise redis_unavailable(exc) from exc
    if view["status"] == JobStatus.FAILED.value:
        raise UpstreamError("update job failed", view.get("error"))
    if view.get("run") is None:
        response.status_code = 202
        response.headers["Location"] = f"/api/updates/jobs/{job.id}"
    return view


@router.get("/updates/jobs/{job_id}", response_model=UpdateJobRead)
def update_job(job_id: str, core: CoreDep) -> dict[str, Any]:
    try:
        conn = redis_connection(core.settings)
        try:
            job = Job.fetch(job_id, connection=conn)
        except (NoSuchJobError, ValueError) as exc:
            raise NotFound("job not found", f"No update job with ID {job_id} exists (results expire after a day)") \
                from exc
        if job.func_name != f"{run_update_job.__module__}.{run_update_job.__name__}":
            raise NotFound("job not found", f"{job_id} is not an update job")
        return _job_view(job, job.latest_result())
    except RedisError as exc:
        raise redis_unavailable(exc) from exc
