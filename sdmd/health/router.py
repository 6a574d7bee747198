from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from sdmd.deps import CoreDep
from sdmd.services.service import list_services

router = APIRouter(prefix="/api/health", tags=["health"])


class ServiceStatus(BaseModel):
    id: str
    name: str
    status: str


class HealthStatus(BaseModel):
    services: list[ServiceStatus]


@router.get("/status", response_model=HealthStatus)
def health_status(core: CoreDep) -> dict[str, Any]:
    return {"services": [{"id": s["id"], "name": s["name"], "status": s["status"]}
                         for s in list_services(core)]}
