from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput
from sdmd.services import envfile, service
from sdmd.services.schemas import EnvFileRead, EnvFileUpdate, LogEntry, ServiceRead
from sdmd.services.service import Definition

router = APIRouter(prefix="/api/services", tags=["services"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
DEFINITION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


async def _definition(request: Request, name: str | None) -> Definition:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type in YAML_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("invalid compose file", "the body is not UTF-8") from exc
        return Definition.from_yaml(text, name)
    if content_type not in ("application/json", ""):
        raise InvalidInput("unsupported content type", f"{content_type}: send application/json or application/yaml")
    try:
        body: Any = json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        raise InvalidInput("invalid JSON", str(exc)) from exc
    return Definition.from_json(body, name)


def _etag(response: Response, view: dict[str, Any]) -> None:
    etag = view.get("file_hash") or view.get("content_hash")  # gitops: the file's hash, what If-Match checks
    if etag:
        response.headers["ETag"] = f'"{etag}"'


@router.get("", response_model=list[ServiceRead])
def list_services(core: CoreDep) -> list[dict[str, Any]]:
    return service.list_services(core)


@router.post("", status_code=201, response_model=ServiceRead, openapi_extra=DEFINITION_BODY)
async def create_service(request: Request, response: Response, core: CoreDep, actor: ActorDep,
                         name: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    definition = await _definition(request, name)
    view = await run_in_threadpool(service.create_service, core, actor=actor, definition=definition)
    _etag(response, view)
    return view


@router.get("/{service_id}", response_model=ServiceRead)
def get_service(service_id: str, response: Response, core: CoreDep) -> dict[str, Any]:
    view = service.get_service(core, service_id)
    _etag(response, view)
    return view


@router.put("/{service_id}", response_model=ServiceRead, openapi_extra=DEFINITION_BODY)
async def update_service(service_id: str, request: Request, response: Response, core: CoreDep,
                         actor: ActorDep, if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    config = await run_in_threadpool(service.get_service, core, service_id)
    definition = await _definition(request, config["name"])
    view = await run_in_threadpool(service.update_service, core, service_id, actor=actor,
                                   definition=definition, if_match=if_match)
    _etag(response, view)
    return view


@router.delete("/{service_id}", status_code=200)
def delete_service(service_id: str, core: CoreDep, actor: ActorDep,
                   volumes: Annotated[bool, Query(description="also remove named volumes")] = False
                   ) -> dict[str, Any]:
    service.delete_service(core, service_id, actor=actor, volumes=volumes)
    return {"status": "deleted", "id": service_id}


@router.post("/{service_id}/restart", response_model=ServiceRead)
def restart_service(service_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return service.restart_service(core, service_id, actor=actor)


@router.get("/{service_id}/logs", response_model=list[LogEntry],
            responses={200: {"content": {"text/plain": {}, "application/json": {}}}})
def service_logs(service_id: str, request: Request, core: CoreDep,
                 tail: Annotated[int, Query(ge=1, le=10000)] = 100) -> Any:
    lines = service.service_logs(core, service_id, tail=tail)
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return [line.__dict__ for line in lines]
    text = "".join(f"{line.container} | {line.timestamp} {line.message}\n" for line in lines)
    return PlainTextResponse(text)


# -- the stack's .env beside compose.yaml (issue 18) ----------------------------------------------
ENV_ERRORS = {
    404: {"description": "service not found"},
    409: {"description": "the .env changed meanwhile (stale If-Match), or the service is not managed"},
    422: {"description": "invalid .env, or compose refused the stack with it, or compose up failed",
          "content": {"application/json": {"example": {"error": "invalid .env",
                                                       "details": "line 3: TOKEN has no '=' (write TOKEN= ...)"}}}},
}


@router.get("/{service_id}/env", response_model=EnvFileRead, responses=ENV_ERRORS)
def get_env_file(service_id: str, response: Response, core: CoreDep) -> dict[str, Any]:
    """The service's .env (`exists: false` and empty content when it has none). Holds secrets: any
    logged-in user may read it, as they may read the compose file; the web UI masks the values."""
    view = envfile.get_env(core, service_id)
    response.headers["ETag"] = f'"{view["etag"]}"'
    return view


@router.put("/{service_id}/env", response_model=EnvFileRead, responses=ENV_ERRORS)
async def put_env_file(service_id: str, body: EnvFileUpdate, response: Response, core: CoreDep, actor: ActorDep,
                       if_match: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Replace the .env like a compose edit: every line checked (a bare `NAME` without `=` is refused:
    compose would copy sdmd's own variable), the stack validated with `docker compose config` reading
    the new file, then written (mode 0600), applied with `compose up` (the old file comes back if that
    fails) and committed to git. Audited as `service.env_update` with the names added, removed and
    changed, never a value. Empty content removes the file."""
    view = await run_in_threadpool(envfile.update_env, core, service_id, actor=actor, content=body.content,
                                   if_match=if_match)
    response.headers["ETag"] = f'"{view["etag"]}"'
    return view
