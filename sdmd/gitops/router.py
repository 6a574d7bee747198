from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.gitops import adopt as adopt_ops
from sdmd.gitops import service
from sdmd.gitops.schemas import AdoptRequest, CommitRead, DriftReport, GitopsStatus, ReconcileReport
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
