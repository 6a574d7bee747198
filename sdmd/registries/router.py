"""`/api/registries`: credentials for private registries. Secrets go in, never come out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.http_errors import error_responses
from sdmd.registries import service
from sdmd.registries.schemas import RegistryCreate, RegistryRead, RegistryUpdate

router = APIRouter(prefix="/api/registries", tags=["registries"])

ERRORS: dict[int | str, dict[str, Any]] = {
    **error_responses(e502="the registry could not be reached to verify the credentials (retry, or `verify: false`)"),
    422: {"description": "invalid input, or the registry refused the credentials (`{\"error\": \"registry "
                         "refused the credentials\", \"details\": \"<server> refused user ...\"}`)"},
}


@router.get("", response_model=list[RegistryRead], summary="List registries with stored credentials")
def list_registries(core: CoreDep) -> list[dict[str, Any]]:
    return service.list_registries(core)


@router.post("", status_code=201, response_model=RegistryRead, summary="Store credentials for a registry",
             description="Verifies them against the registry first (unless `verify: false`), encrypts the password "
                         "or token with the data dir's key and uses it for pulls, digest checks and tag lists on "
                         "every host. 409 when the server already has credentials (use PUT).",
             responses={**ERRORS, **error_responses(e409="credentials for this server exist already")})
async def create_registry(body: RegistryCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return await run_in_threadpool(service.create_registry, core, actor=actor, body=body)


@router.get("/{registry_id}", response_model=RegistryRead, summary="One registry (by id or server)",
            responses=error_responses(e404="no such registry"))
def get_registry(registry_id: str, core: CoreDep) -> dict[str, Any]:
    return service.get_registry(core, registry_id)


@router.put("/{registry_id}", response_model=RegistryRead, summary="Replace the credentials of a registry",
            responses={**ERRORS, **error_responses(
                e404="no such registry", e409="`server` names another registry (a registry's server cannot change)")})
async def update_registry(registry_id: str, body: RegistryUpdate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return await run_in_threadpool(service.update_registry, core, registry_id, actor=actor, body=body)


@router.delete("/{registry_id}", summary="Forget the credentials of a registry",
               responses=error_responses(e404="no such registry"))
def delete_registry(registry_id: str, core: CoreDep, actor: ActorDep) -> dict[str, str]:
    service.delete_registry(core, registry_id, actor=actor)
    return {"status": "deleted", "id": registry_id}
