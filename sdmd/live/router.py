"""Live endpoints: service and container actions, inspect, stats streams, the state stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.errors import NotFound
from sdmd.live import actions
from sdmd.live.runtime import LiveDep
from sdmd.live.state import StateFollow
from sdmd.live.stats import StatsWatch
from sdmd.live.streams import SSE_EVENT_SCHEMA, End
from sdmd.services import service
from sdmd.services.schemas import ServiceRead

router = APIRouter(prefix="/api", tags=["live"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such service or container"},
    409: {"description": "the project is not managed by sdmd (read-only), or Docker refused the action "
                         "in the container's current state"},
}
SSE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}, "description": "an event stream"},
    429: {"description": "the caller has SDMD_STREAMS_PER_USER streams open already"},
}
SERVICE_TEXT = {
    "stop": "Stop every container of the service (`docker compose stop`); they keep their state and can start again.",
    "start": "Start the service's existing containers again (`docker compose start`).",
    "pause": "Freeze every container of the service (`docker compose pause`).",
    "unpause": "Resume the service's paused containers (`docker compose unpause`).",
}
CONTAINER_TEXT = {
    "stop": "Stop one container of the service (it waits for the container's stop timeout).",
    "start": "Start one stopped container of the service.",
    "pause": "Freeze one container of the service.",
    "unpause": "Resume one paused container of the service.",
    "restart": "Restart one container of the service.",
}


def _service_endpoint(action: str) -> Callable[..., dict[str, Any]]:
    def endpoint(service_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
        return actions.service_action(core, service_id, action, actor=actor)

    endpoint.__name__ = f"{action}_service"
    return endpoint


def _container_endpoint(action: str) -> Callable[..., dict[str, Any]]:
    def endpoint(service_id: str, container: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
        return actions.container_action(core, service_id, container, action, actor=actor)

    endpoint.__name__ = f"{action}_container"
    return endpoint


for _action in actions.SERVICE_ACTIONS:
    router.add_api_route(f"/services/{{service_id}}/{_action}", _service_endpoint(_action), methods=["POST"],
                         response_model=ServiceRead, summary=f"{_action.capitalize()} the service",
                         description=SERVICE_TEXT[_action] + " Audited as `service." + _action + "`.",
                         responses=ERRORS)
for _action in actions.CONTAINER_ACTIONS:
    router.add_api_route(f"/services/{{service_id}}/containers/{{container}}/{_action}",
                         _container_endpoint(_action), methods=["POST"], response_model=ServiceRead,
                         summary=f"{_action.capitalize()} one container",
                         description=CONTAINER_TEXT[_action] + " `container` is the container's name or id "
                         "(or its compose service when that has one container). Audited as `container."
                         + _action + "`.", responses=ERRORS)


@router.get("/services/{service_id}/containers/{container}", responses={404: ERRORS[404]},
            summary="Inspect one container (read-only)")
def inspect_container(service_id: str, container: str, core: CoreDep) -> dict[str, Any]:
    """`docker inspect` of one of the service's containers, with every environment value masked
    (`KEY=[redacted]`). Works for unmanaged projects too: it changes nothing."""
    return actions.inspect(core, service_id, container)


@router.get("/services/{service_id}/stats", responses={**SSE_ANSWER, 404: ERRORS[404]},
            summary="Live CPU, memory, network and block I/O of a service (event stream)")
def service_stats(service_id: str, request: Request, core: CoreDep, live: LiveDep, actor: ActorDep) -> Any:
    """Server-sent `stats` events, one a second while the stream is open: `containers` (each running
    container's `cpu_percent`, `memory_bytes`, `memory_limit`, `memory_percent`, `net_rx_bytes`/`net_tx_bytes`
    and their per-second `_rate`s, `blk_read_bytes`/`blk_write_bytes` and rates, `pids`), `compose_services`
    (the sums per compose service) and `by_service` (the sum for the whole service, by its id). Docker's
    stats streams open only while someone watches and close when the last watcher leaves."""
    config, name, host = service.resolve(core, service_id)
    queue: asyncio.Queue[bytes | End] = asyncio.Queue()
    sid = config.id if config else service.unmanaged_id(host, name)
    watch = StatsWatch(core, live.stats, queue, services={(host, name): sid}, detail=True)
    return live.stream(request, actor, "stats", queue=queue, producer=watch.start, cleanup=[watch.close])


@router.get("/stats", responses=SSE_ANSWER, summary="Live CPU and memory of every service (event stream)")
def all_stats(request: Request, core: CoreDep, live: LiveDep, actor: ActorDep,
              service_ids: Annotated[list[str] | None, Query(alias="service",
                                                           description="narrow to these services (id or name)")]
              = None) -> Any:
    """Server-sent `stats` events, one a second: `by_service` maps each service id (`ext_...` for projects
    sdmd does not manage) to the sums over its running containers (`cpu_percent`, `memory_bytes`, ...,
    `name`, `host`), for the service list."""
    services = None
    if service_ids:
        services = {}
        for sid in service_ids:
            try:
                config, name, host = service.resolve(core, sid)
            except NotFound:
                continue
            services[(host, name)] = config.id if config else service.unmanaged_id(host, name)
    queue: asyncio.Queue[bytes | End] = asyncio.Queue()
    watch = StatsWatch(core, live.stats, queue, services=services, detail=False)
    return live.stream(request, actor, "stats", queue=queue, producer=watch.start, cleanup=[watch.close])



@router.get("/events", responses={**SSE_ANSWER, 503: {"description": "this process runs without the host model"}},
            summary="Container and host changes as they happen (event stream)")
def state_events(request: Request, core: CoreDep, live: LiveDep, actor: ActorDep) -> Any:
    """The hosts' live model, pushed: `ready` first (`{"hosts": {name: state}}`: load what you show once,
    and again after every reconnect), then `container` events (`host`, `project`, `service_id`, Docker's
    `action` such as start, die, kill, `health_status: healthy`, `exit_code`, the `container` after the change
    or null once removed, the service's `service_status` and all its `containers` now) and `host` events
    (`host`, `state`: connected, reconnecting, unreachable; `previous`, `error`). One stream serves every
    page of a tab."""
    queue: asyncio.Queue[bytes | End] = asyncio.Queue()
    follow = StateFollow(core, queue)
    return live.stream(request, actor, "state", queue=queue, producer=follow.start, cleanup=[follow.close])
