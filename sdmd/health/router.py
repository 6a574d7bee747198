from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sdmd.deps import CoreDep
from sdmd.hosts import reader
from sdmd.services.service import list_services

router = APIRouter(prefix="/api/health", tags=["health"])


class ServiceStatus(BaseModel):
    id: str
    name: str
    status: str = Field(description="running | partial | stopped | not_deployed | unknown (host not connected)")
    host: str = Field(default="local", description="the host it runs on")


class HostStatus(BaseModel):
    name: str
    state: str = Field(description="connected | reconnecting | unreachable")
    since: datetime | None = None
    error: str | None = None


class HealthStatus(BaseModel):
    services: list[ServiceStatus]
    hosts: list[HostStatus] = Field(default_factory=list, description="every host's state, to group services by")


@router.get("/status", response_model=HealthStatus)
def health_status(core: CoreDep) -> dict[str, Any]:
    """Each service's state and host, from the live model (no Docker round trip)."""
    views = reader.views(core)
    services = [{"id": s["id"], "name": s["name"], "status": s["status"], "host": s["host"]}
                for s in list_services(core)]
    return {"services": services,
            "hosts": [{"name": v.host, "state": v.state, "since": v.since, "error": v.error} for v in views.values()]}
