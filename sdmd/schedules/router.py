from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sdmd.auth.dependencies import ActorDep
from sdmd.deps import CoreDep
from sdmd.schedules import service
from sdmd.schedules.schemas import RunRead, ScheduleCreate, ScheduleRead, ScheduleUpdate

router = APIRouter(prefix="/api/schedules", tags=["schedules"])


@router.get("", response_model=list[ScheduleRead])
def list_schedules(core: CoreDep, service_id: Annotated[str | None, Query()] = None) -> list[dict[str, Any]]:
    return service.list_schedules(core, service_id=service_id)


@router.post("", status_code=201, response_model=ScheduleRead)
def create_schedule(body: ScheduleCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return service.create_schedule(core, actor=actor, data=body)


@router.get("/{schedule_id}", response_model=ScheduleRead)
def get_schedule(schedule_id: str, core: CoreDep) -> dict[str, Any]:
    return service.get_schedule(core, schedule_id)


@router.put("/{schedule_id}", response_model=ScheduleRead)
def update_schedule(schedule_id: str, body: ScheduleUpdate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    return service.update_schedule(core, schedule_id, actor=actor, data=body)


@router.delete("/{schedule_id}")
def delete_schedule(schedule_id: str, core: CoreDep, actor: ActorDep) -> dict[str, str]:
    service.delete_schedule(core, schedule_id, actor=actor)
    return {"status": "deleted", "id": schedule_id}


@router.get("/{schedule_id}/runs", response_model=list[RunRead])
def schedule_runs(schedule_id: str, core: CoreDep,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    return service.schedule_runs(core, schedule_id, limit=limit)
