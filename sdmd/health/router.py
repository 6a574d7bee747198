from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sdmd.deps import CoreDep
from sdmd.health import status
from sdmd.http_errors import error_responses

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


class HealthCounts(BaseModel):
    services: dict[str, int] = Field(description="managed services by status: running, partial, stopped, "
                                                 "not_deployed", examples=[{"running": 3, "partial": 1}])
    containers: dict[str, int] = Field(description="containers by Docker state (running, restarting, exited...)")
    health: dict[str, int] = Field(description="containers by health check: healthy, unhealthy, starting, none")
    problems: int = Field(description="containers unhealthy, restarting, dead, failed or still starting")


class ContainerHealth(BaseModel):
    id: str
    name: str
    service_id: str
    service_name: str
    host: str = Field(default="local", description="the host the container runs on")
    managed: bool
    compose_service: str | None
    image: str | None
    state: str | None
    status: str | None = Field(examples=["Up 2 hours (unhealthy)", "Restarting (1) 3 seconds ago"])
    health: str | None
    exit_code: int | None
    problem: str | None = Field(description="what is wrong, in words; null when nothing is",
                                examples=["unhealthy", "restarting", "exited with code 1"])


class HealthStatus(BaseModel):
    services: list[ServiceStatus]
    hosts: list[HostStatus] = Field(default_factory=list, description="every host's state, to group services by")
    counts: HealthCounts
    containers: list[ContainerHealth] = Field(description="every compose container, the troubled first: "
                                                          "unhealthy, restarting, dead, failed, starting, ...")
    checked_at: datetime


@router.get("/status", response_model=HealthStatus, responses=error_responses(e404="host not found"))
def health_status(core: CoreDep,
                  host: Annotated[str | None, Query(description="only this host (name or id)")] = None
                  ) -> dict[str, Any]:
    """Every service's status and host, its containers counted by state and health, the troubled ones
    first, and every host's state: all from the live model (no Docker round trip)."""
    return status.health_status(core, host)
