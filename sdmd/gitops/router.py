from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from fastapi.concurrency import run_in_threadpool

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.gitops import adopt as adopt_ops
from sdmd.gitops import history, service
from sdmd.gitops.schemas import (
    AdoptRequest,
    CommitDetail,
    CommitRead,
    DriftReport,
    FileAtCommit,
    GitopsStatus,
    ReconcileReport,
)
from sdmd.http_errors import error_responses
from sdmd.services import service as services
from sdmd.services.schemas import ServiceRead

router = APIRouter(prefix="/api", tags=["gitops"])


@router.post("/services/adopt", status_code=201, response_model=ServiceRead)
def adopt_service(body: AdoptRequest, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Manage a compose project started by hand, keeping its containers (no recreate)."""
    service_id = adopt_ops.adopt(core, actor=actor, project=body.project, host=body.host)
    return services.get_service(core, service_id)


@router.get("/services/{service_id}/drift", response_model=DriftReport)
def service_drift(service_id: str, core: CoreDep) -> dict[str, Any]:
    return service.drift_report(core, service_id)


@router.get("/services/{service_id}/history", response_model=list[CommitRead])
def service_git_history(service_id: str, core: CoreDep,
                        limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, str]]:
    """The commits that touched this service's folder in the stacks repository, newest first."""
    return service.git_history(core, service_id, limit=limit)


@router.post("/services/{service_id}/apply", response_model=ServiceRead)
def apply_service(service_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Apply the compose file as it is in the stacks folder (a pending hand edit, or a retry)."""
    return services.get_service(core, service.apply_service(core, service_id, actor=actor))


@router.get("/gitops/status", response_model=GitopsStatus)
def gitops_status(core: CoreDep) -> dict[str, Any]:
    return service.status(core)


@router.post("/gitops/reconcile", response_model=ReconcileReport)
def gitops_reconcile(core: CoreDep) -> dict[str, Any]:
    """Reconcile now instead of waiting for the next round."""
    return service.run_reconcile(core)


@router.get("/services/{service_id}/history/{commit}", response_model=CommitDetail,
            responses=error_responses(e404="commit not found", e422="invalid commit id"))
def service_commit(service_id: str, commit: str, core: CoreDep) -> dict[str, Any]:
    """One commit of the service's folder: its message, each changed file with its diff (against the
    commit's first parent, limited to this folder), and the files the folder held at that version.
    `commit` is a full or abbreviated id on the current branch's history."""
    return history.commit_detail(core, service_id, commit)


@router.get("/services/{service_id}/history/{commit}/file", response_model=FileAtCommit,
            responses=error_responses(e404="commit not found", e422="invalid commit id"))
def service_file_at_commit(service_id: str, commit: str, core: CoreDep,
                           path: Annotated[str, Query(description="relative to the service's folder",
                                                      examples=["compose.yaml", ".env"])] = "compose.yaml",
                           ) -> dict[str, Any]:
    """A text file of the service's folder as it was at `commit` (at most 1 MiB)."""
    return history.file_at(core, service_id, commit, path)


@router.post("/services/{service_id}/history/{commit}/restore", response_model=ServiceRead,
             responses=error_responses(e404="commit not found", e409="service changed meanwhile",
                                        e422="invalid commit id"))
async def restore_service_version(service_id: str, commit: str, response: Response, core: CoreDep, actor: ActorDep,
                                  if_match: Annotated[str | None, Header(description="the ETag of GET "
                                                                                      "/api/services/{id}")] = None,
                                  confirm_move: Annotated[bool, Query(description="required when that version "
                                                                                  "names another host (x-sdmd.host): "
                                                                                  "restoring it moves the service")]
                                  = False) -> dict[str, Any]:
    """Restore compose.yaml as it was at `commit`: a new commit ("Restore service <name> to <short id>"),
    validated and applied like any edit (the old file comes back if `compose up` fails). Audited as
    `service.restore` with `details.restored_from`. 409 when If-Match is stale or the file already
    is that version, or when it names another host without `confirm_move=true` (a move: named volumes
    stay behind). The folder's other files (such as .env) are left as they are."""
    view = await run_in_threadpool(history.restore, core, service_id, commit, actor=actor, if_match=if_match,
                                   confirm_move=confirm_move)
    if view.get("file_hash"):
        response.headers["ETag"] = f'"{view["file_hash"]}"'
    return view
