from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class PortRead(BaseModel):
    host_ip: str
    host_port: int
    container_port: int
    protocol: str


class ContainerRead(BaseModel):
    id: str
    name: str
    service: str | None
    image: str | None
    image_id: str | None
    state: str | None
    status: str | None
    health: str | None
    ports: list[PortRead]


class ServiceRead(BaseModel):
    id: str
    name: str
    managed: bool
    status: str
    containers: list[ContainerRead]
    content_hash: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    compose: str | None = None
    update_available: bool = False  # the last update check found a newer image (issue 4)


class LogEntry(BaseModel):
    container: str
    service: str | None
    timestamp: str
    message: str
