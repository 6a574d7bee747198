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
from sdmd.services import repository as services_repo
from sdmd.updates.jobs import run_update_job
from sdmd.updates.manual import enqueue_update, job_view, respond
from sdmd.updates.queue import redis_connection, redis_unavailable
from sdmd.updates.schemas import UpdateJobRead

router = APIRouter(prefix="/api", tags=["updates"])


def _service_id(core: Core, service_id: str) -> str:
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is not None:
        return config.id
    if service_id.startswith("ext_"):
        raise Conflict("service is not managed by sdmd", f"{service_id} is read-only; sdmd does not update it")
    raise NotFound("service not found", f"No service with ID {service_id} exists")


@router.post("/services/{service_id}/update", response_model=UpdateJobRead,
             responses={202: {"model": UpdateJobRead, "description": "still running: poll the job"}})
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
