from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import WithJsonSchema

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import InvalidInput, UnsupportedMediaType
from sdmd.http_errors import ErrorRead, error_responses
from sdmd.live import logs_http as live_logs
from sdmd.services import envfile, logs, service
from sdmd.services.schemas import DryRunRead, EnvFileRead, EnvFileUpdate, LogEntry, MovePlan, MoveRequest, ServiceRead
from sdmd.services.service import Definition

# What sdmd.live.logs.parse_time reads (a time without a zone is UTC); anything else is a 422 from there.
LogTime = Annotated[str, WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"},
                                                   {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,9})?$"}]})]

router = APIRouter(prefix="/api/services", tags=["services"])

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
# A failed `compose up` says its cause in `error`; `field` names the compose path it points at, when known.
APPLY_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorRead, "description": "invalid definition, or compose could not apply it",
          "content": {"application/json": {"example": {
              "error": "Port 8080 is already allocated: another container publishes 127.0.0.1:8080",
              "details": "Error response from daemon: driver failed programming external connectivity on endpoint "
                         "web-web-1 (...): Bind for 127.0.0.1:8080 failed: port is already allocated",
              "field": "services.web.ports[0]"}}}},
}
MERGE_PATCH = "application/merge-patch+json"
DEFINITION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}, "examples": {
                "one container": {"value": {"name": "web", "image": "nginx:1.27.1", "ports": ["8080:80"]}},
                "several": {"value": {"name": "app", "services": {
                    "web": {"image": "nginx:1.27.1", "depends_on": ["db"]},
                    "db": {"image": "postgres:16", "volumes": ["db:/var/lib/postgresql/data"]}}}},
            }},
            "application/yaml": {"schema": {"type": "string"},
                                 "example": "services:\n  web:\n    image: nginx:1.27.1  # pinned\n"},
        },
    }
}
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": "An RFC 7396 JSON Merge Patch of the compose file's meaning: objects merge, `null` removes "
                       "a key, any other value (arrays too) replaces. Only the lines of what changes are rewritten.",
        "content": {MERGE_PATCH: {"schema": {"type": "object", "additionalProperties": True}, "examples": {
            "image tag": {"summary": "bump one image tag",
                          "value": {"services": {"web": {"image": "nginx:1.27.3"}}}},
            "environment": {"summary": "set one environment value",
                            "value": {"services": {"web": {"environment": {"LOG_LEVEL": "debug"}}}}},
            "remove a key": {"summary": "remove a key with null",
                             "value": {"services": {"web": {"ports": None}}}},
        }}},
    }
}
DryRun = Annotated[bool, Query(description="validate with `docker compose config` and answer the text and diff "
                                           "that would be written; write, apply and commit nothing")]


DRY_RUN_RESPONSE = {"model": DryRunRead, "description": "`dry_run=true`: what would be written (nothing was)"}
# PUT and PATCH answer 200 either way: the service, or (dry_run=true) a DryRunRead
SERVICE_OR_DRY_RUN = {"description": "the service after the change; with `dry_run=true` a DryRunRead (nothing written)",
                      "content": {"application/json": {"schema": {"anyOf": [
                          {"$ref": "#/components/schemas/ServiceRead"},
                          {"$ref": "#/components/schemas/DryRunRead"}]}}}}


async def _definition(request: Request, core: Any, name: str | None) -> Definition:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type in YAML_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("invalid compose file", "the body is not UTF-8") from exc
        return Definition.from_yaml(text, name, max_nodes=core.settings.yaml_max_nodes)
    if content_type not in ("application/json", ""):
        raise InvalidInput("unsupported content type", f"{content_type}: send application/json or application/yaml")
    return Definition.from_json(_json(raw), name)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # JSON is UTF-8 (RFC 8259); bytes that are not
        raise InvalidInput("invalid JSON", str(exc)) from exc


def _etag(response: Response, view: dict[str, Any]) -> None:
    etag = view.get("file_hash") or view.get("content_hash")  # gitops: the file's hash, what If-Match checks
    if etag:
        response.headers["ETag"] = f'"{etag}"'


def _answer(view: dict[str, Any], response: Response) -> Any:
    if view.get("dry_run"):
        return JSONResponse(view, status_code=200)
    _etag(response, view)
    return view


@router.get("", response_model=list[ServiceRead], summary="Every service on every host",
            responses=error_responses(e404="host not found"))
def list_services(core: CoreDep,
                  host: Annotated[str | None, Query(description="only this host (name or id)")] = None
                  ) -> list[dict[str, Any]]:
    """Managed services and compose projects sdmd did not create, with `host` on each. Answered from
    the live model of each host (no Docker round trip); a host that is not connected answers at once:
    its services have status `unknown` and `host_error` says why."""
    return service.list_services(core, host=host)


@router.post("", status_code=201, response_model=ServiceRead, openapi_extra=DEFINITION_BODY,
             summary="Create a service", responses={200: DRY_RUN_RESPONSE, **error_responses(409), **APPLY_ERRORS},
             description="A compose file (`application/yaml`, stored byte for byte) or a JSON definition. "
                         "`docker compose config` validates it, then `compose up` applies it.")
async def create_service(request: Request, response: Response, core: CoreDep, actor: ActorDep,
                         name: Annotated[str | None, Query()] = None, dry_run: DryRun = False) -> Any:
    definition = await _definition(request, core, name)
    view = await run_in_threadpool(service.create_service, core, actor=actor, definition=definition,
                                   dry_run=dry_run)
    return _answer(view, response)


@router.get("/{service_id}", response_model=ServiceRead)
def get_service(service_id: str, response: Response, core: CoreDep) -> dict[str, Any]:
    view = service.get_service(core, service_id)
    _etag(response, view)
    return view


CONFIRM_MOVE = Query(description="required when the new definition names another host (x-sdmd.host, or `host` "
                                 "in JSON): the service is taken down there and brought up on the new host; "
                                 "named volumes do not move (a dry run says which stay behind)")
ConfirmMove = Annotated[bool, CONFIRM_MOVE]


@router.put("/{service_id}", response_model=ServiceRead, openapi_extra=DEFINITION_BODY,
            summary="Replace a service's definition",
            responses={200: SERVICE_OR_DRY_RUN, **error_responses(404, 409), **APPLY_ERRORS},
            description="`application/yaml`: the file becomes exactly the text sent. JSON: the file is changed "
                        "as little as possible to mean the document sent (comments, quoting, anchors and layout "
                        "of everything else stay); its `host` is written as `x-sdmd.host`, and without `host` the "
                        "file's host stays. `If-Match` (the ETag of GET) refuses the write with 409 when the file "
                        "changed meanwhile. A file naming another host is a move: 409 naming the volumes that "
                        "stay behind, unless `confirm_move=true`.")
async def update_service(service_id: str, request: Request, response: Response, core: CoreDep,
                         actor: ActorDep, if_match: Annotated[str | None, Header()] = None,
                         dry_run: DryRun = False, confirm_move: ConfirmMove = False) -> Any:
    config = await run_in_threadpool(service.get_service, core, service_id)
    definition = await _definition(request, core, config["name"])
    view = await run_in_threadpool(service.update_service, core, service_id, actor=actor,
                                   definition=definition, if_match=if_match, dry_run=dry_run,
                                   confirm_move=confirm_move)
    return _answer(view, response)


@router.patch("/{service_id}", response_model=ServiceRead, openapi_extra=PATCH_BODY,
              summary="Change part of a service's definition (JSON Merge Patch)",
              responses={200: SERVICE_OR_DRY_RUN, **error_responses(404, 409, 415), **APPLY_ERRORS},
              description="`application/merge-patch+json` (RFC 7396; `application/json` is taken as the same). "
                          "The patch is merged into what the compose file means and written as a minimal edit; "
                          "the same `If-Match`, validation, apply, audit record and git commit as PUT. A `null` "
                          "removes a key, so a value cannot be set to null this way (use PUT). A patch of "
                          "`x-sdmd.host` is a move (`confirm_move=true`, as for PUT).")
async def patch_service(service_id: str, request: Request, response: Response, core: CoreDep,
                        actor: ActorDep, if_match: Annotated[str | None, Header()] = None,
                        dry_run: DryRun = False, confirm_move: ConfirmMove = False) -> Any:
    content_type = request.headers.get("content-type", MERGE_PATCH).split(";")[0].strip().lower()
    if content_type not in (MERGE_PATCH, "application/json"):
        raise UnsupportedMediaType("unsupported media type", f"{content_type}: send {MERGE_PATCH}")
    definition = Definition.from_patch(_json(await request.body()))
    view = await run_in_threadpool(service.update_service, core, service_id, actor=actor,
                                   definition=definition, if_match=if_match, dry_run=dry_run,
                                   confirm_move=confirm_move)
    return _answer(view, response)


@router.delete("/{service_id}", status_code=200)
def delete_service(service_id: str, core: CoreDep, actor: ActorDep,
                   volumes: Annotated[bool, Query(description="also remove named volumes")] = False
                   ) -> dict[str, Any]:
    service.delete_service(core, service_id, actor=actor, volumes=volumes)
    return {"status": "deleted", "id": service_id}


@router.post("/{service_id}/restart", response_model=ServiceRead, responses=APPLY_ERRORS)
def restart_service(service_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return service.restart_service(core, service_id, actor=actor)


@router.post("/{service_id}/move", response_model=ServiceRead | MovePlan,
             summary="Move a service to another host",
             responses={200: {"description": "the moved service, or with dry_run the plan"},
                        **error_responses(e409="not confirmed: the details name the named volumes that stay behind",
                                          e503="the old or the new host is not connected")})
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
                 since: Annotated[LogTime | None, Query(description="RFC 3339 or unix seconds")] = None,
                 until: Annotated[LogTime | None, Query(description="RFC 3339 or unix seconds")] = None,
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


# -- the stack's .env beside compose.yaml (issue 18) ----------------------------------------------
ENV_ERRORS = {
    **error_responses(e404="service not found",
                      e409="the .env changed meanwhile (stale If-Match), or the service is not managed"),
    422: {"model": ErrorRead, "description": "invalid .env, or compose refused the stack with it, or compose up failed",
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
