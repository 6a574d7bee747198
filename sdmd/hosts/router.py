from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.hosts import service
from sdmd.hosts.schemas import HostCreate, HostDeleted, HostRead, HostTestRead, HostTestRequest, HostUpdate
from sdmd.http_errors import error_responses

router = APIRouter(prefix="/api/hosts", tags=["hosts"])

ERRORS = error_responses(e404="no such host",
                         e409="name or URL taken; the local host; a refused or unconfirmed SSH host key",
                         e422="bad URL (only unix://, ssh://, tcp://), bad or missing TLS/SSH material",
                         e502="the host could not be reached (nothing was stored)")


@router.get("", response_model=list[HostRead], summary="Every Docker host, with its live state")
def list_hosts(core: CoreDep) -> list[dict[str, Any]]:
    """`local` first (SDMD_DOCKER_HOST, or the local socket), then the others by name. `state` is the live
    model's: connected, reconnecting (since `state_since`, `last_error`) or unreachable."""
    return service.list_hosts(core)


@router.post("", status_code=201, response_model=HostRead, responses=ERRORS, summary="Add a host")
async def create_host(body: HostCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Tests the connection before storing anything: tcp:// hosts must answer over mutual TLS; ssh://
    hosts must present a host key (pinned at once when `fingerprint` is given and matches, else confirm
    it with POST /api/hosts/{id}/test). TLS material and SSH keys are kept under the data dir with mode
    0600 and never returned."""
    return await run_in_threadpool(service.create_host, core, actor=actor, body=body)


@router.get("/{host_id}", response_model=HostRead, responses={404: ERRORS[404]})
def get_host(host_id: str, core: CoreDep) -> dict[str, Any]:
    """By id or name."""
    return service.get_host(core, host_id)


@router.put("/{host_id}", response_model=HostRead, responses=ERRORS, summary="Change a host")
async def update_host(host_id: str, body: HostUpdate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """The fields given change. A new URL or new material is tested first (502 and nothing changed when
    it fails); a new SSH server needs its key pinned again. `local` cannot be changed here (409)."""
    return await run_in_threadpool(service.update_host, core, host_id, actor=actor, body=body)


@router.delete("/{host_id}", response_model=HostDeleted, responses=ERRORS, summary="Remove a host")
async def delete_host(host_id: str, core: CoreDep, actor: ActorDep,
                      force: Annotated[bool, Query(description="remove it although services name it: they are "
                                                               "orphaned, nothing on the host is touched")] = False
                      ) -> dict[str, Any]:
    """409 while services run there (the details name them), unless `force`. `local` cannot be removed."""
    return await run_in_threadpool(service.delete_host, core, host_id, actor=actor, force=force)


@router.post("/{host_id}/test", response_model=HostTestRead, responses=ERRORS, summary="Test (and pin) a host")
async def test_host(host_id: str, core: CoreDep, actor: ActorDep, body: HostTestRequest | None = None
                    ) -> dict[str, Any]:
    """Connects now and reports the engine version, API version, OS/arch and whether compose works there.
    For SSH it shows the host key fingerprint; send it back as `fingerprint` to pin it (first use), or
    with `replace: true` to trust a new key after a reinstall. A key other than the pinned one is refused
    (409 host key changed)."""
    body = body or HostTestRequest()
    return await run_in_threadpool(service.test_host, core, host_id, actor=actor, fingerprint=body.fingerprint,
                                   replace_key=body.replace)
