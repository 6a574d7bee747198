from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput
from sdmd.live import logs_http as live_logs
from sdmd.services import logs, service
from sdmd.services.schemas import LogEntry, MovePlan, MoveRequest, ServiceRead
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


@router.get("", response_model=list[ServiceRead], summary="Every service on every host")
def list_services(core: CoreDep,
                  host: Annotated[str | None, Query(description="only this host (name or id)")] = None
                  ) -> list[dict[str, Any]]:
    """Managed services and compose projects sdmd did not create, with `host` on each. Answered from
    the live model of each host (no Docker round trip); a host that is not connected answers at once:
    its services have status `unknown` and `host_error` says why."""
    return service.list_services(core, host=host)


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


CONFIRM_MOVE = Query(description="required when the new definition names another host (x-sdmd.host, or `host` "
                                 "in JSON): the service is taken down there and brought up on the new host; "
                                 "named volumes do not move")


@router.put("/{service_id}", response_model=ServiceRead, openapi_extra=DEFINITION_BODY,
            responses={409: {"description": "If-Match no longer matches, or a move without confirm_move=true "
                                            "(the details name the volumes that would stay behind)"}})
async def update_service(service_id: str, request: Request, response: Response, core: CoreDep,
                         actor: ActorDep, if_match: Annotated[str | None, Header()] = None,
                         confirm_move: Annotated[bool, CONFIRM_MOVE] = False) -> dict[str, Any]:
    config = await run_in_threadpool(service.get_service, core, service_id)
    definition = await _definition(request, config["name"])
    view = await run_in_threadpool(service.update_service, core, service_id, actor=actor,
                                   definition=definition, if_match=if_match, confirm_move=confirm_move)
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


@router.post("/{service_id}/move", response_model=ServiceRead | MovePlan,
             summary="Move a service to another host",
             responses={200: {"description": "the moved service, or with dry_run the plan"},
                        409: {"description": "not confirmed: the details name the named volumes that stay behind"},
                        503: {"description": "the old or the new host is not connected"}})
def move_service(service_id: str, body: MoveRequest, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Sets x-sdmd.host in the service's compose.yaml (one commit) and applies it: `compose down` on the
    old host, `compose up` on the new one. Named volumes are not copied: confirm with `confirm: true`.
    If the new host fails, the old file comes back and the service runs on the old host again."""
    if body.dry_run:
        return service.move_plan(core, service_id, host=body.host)
    return service.move_service(core, service_id, actor=actor, host=body.host, confirm=body.confirm)


@router.get("/{service_id}/logs", response_model=list[LogEntry], description=live_logs.LOGS_DOC,
            responses={200: {"content": {"text/plain": {}, "application/json": {}, "text/event-stream": {}}},
                       429: {"description": "too many live streams open for this user"}})
def service_logs(service_id: str, request: Request, core: CoreDep, actor: ActorDep,
                 tail: Annotated[int, Query(ge=1, le=10000)] = 100,
                 container: Annotated[str | None, Query(description="one container: name, id or service")] = None,
                 since: Annotated[str | None, Query(description="RFC 3339 or unix seconds")] = None,
                 until: Annotated[str | None, Query(description="RFC 3339 or unix seconds")] = None,
                 download: Annotated[bool, Query(description="a text/plain attachment")] = False) -> Any:
    if container or since or until or download or live_logs.wants_stream(request):  # live (issue 13)
        return live_logs.respond(request, core, actor, service_id, tail=tail, container=container, since=since,
                                 until=until, download_file=download)
    lines = logs.service_logs(core, service_id, tail=tail)
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        return [line.__dict__ for line in lines]
    text = "".join(f"{line.container} | {line.timestamp} {line.message}\n" for line in lines)
    return PlainTextResponse(text)
