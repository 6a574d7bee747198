"""`POST /api/services/{id}/update`: the update cycle now, performed by the worker.

The request enqueues the same job a schedule runs and waits for its result (up to `wait`
seconds, default SDMD_UPDATE_WAIT_SECONDS): 200 with the run when it finished in time, else
202 with the job id to poll at `GET /api/updates/jobs/{job_id}`. Going through the worker keeps
one code path and one lock for scheduled and manual runs, and keeps long pulls off the API.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from sdmd.auth.dependencies import ActorDep
from sdmd.core import Core
from sdmd.deps import CoreDep
from sdmd.errors import Conflict, NotFound
from sdmd.http_errors import error_responses
from sdmd.services import repository as services_repo
from sdmd.updates.jobs import run_update_job
from sdmd.updates.manual import enqueue_update, job_view, respond
from sdmd.updates.preview import service_updates
from sdmd.updates.queue import redis_connection, redis_unavailable
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


@router.get("/services/{service_id}/updates", response_model=ServiceUpdatesRead,
            summary="What an update would change, per image (asked live, nothing pulled)",
            description="For each image of the service: the running tag and registry digest, the candidate tag "
                        "and digest the image's x-sdmd policy allows, the policy, both sides' created dates and OCI "
                        "release labels, and release-notes / compare links derived from a GitHub source label. "
                        "Asks the registries (through the Docker daemon, and their HTTP API for tags and image "
                        "configs) with the stored credentials; pulls nothing. A registry that fails gives that "
                        "image `status: error` with the reason; the others are still answered.",
            responses=error_responses(e404="no such service",
                                      e409="an unmanaged compose project, or its compose file is missing"))
def updates_preview(service_id: str, core: CoreDep) -> dict[str, Any]:
    return service_updates(core, service_id)


@router.post("/services/{service_id}/update", response_model=UpdateJobRead,
             summary="Run the update cycle now (in the worker)",
             description="`mode=check` asks the registries and pulls nothing; `mode=update` pulls only images whose "
                         "digest or policy tag changed, commits a tag change to compose.yaml (author: the caller, or "
                         "sdmd-scheduler for schedules), applies it behind the health gate, and on failure restores "
                         "the previous images and file (a revert commit).",
             responses={202: {"model": UpdateJobRead, "description": "still running: poll the job"},
                        **error_responses(e404="no such service", e409="not managed by sdmd",
                                          e503="no worker listens, or Redis is down")})
def update_now(service_id: str, response: Response, core: CoreDep, actor: ActorDep,
               mode: Annotated[Literal["check", "update"], Query(description="check only reports")] = "update",
               wait: Annotated[float | None, Query(ge=0, le=3600, description="seconds to wait")] = None,
               ) -> dict[str, Any]:
    return respond(response, enqueue_update(core, _service_id(core, service_id), mode=mode, actor=actor, wait=wait))


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
        return job_view(job, job.latest_result())
    except RedisError as exc:
        raise redis_unavailable(exc) from exc
