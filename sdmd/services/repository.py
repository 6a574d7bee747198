"""Queries for the services mirror; nothing else in sdmd writes SQL for these tables."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sdmd.services.models import DockerService, DockerServiceConfig


def all_configs(session: Session) -> list[DockerServiceConfig]:
    return list(session.scalars(select(DockerServiceConfig).order_by(DockerServiceConfig.name)))


def content_hashes(session: Session, among: Collection[str] | None = None) -> dict[str, str]:
    """{name: content hash} of every managed service (or of those named): two columns, no compose text."""
    stmt = select(DockerServiceConfig.name, DockerServiceConfig.content_hash)
    if among is not None:
        stmt = stmt.where(DockerServiceConfig.name.in_(list(among)))
    return {name: digest for name, digest in session.execute(stmt)}


def get(session: Session, service_id: str) -> DockerServiceConfig | None:
    return session.get(DockerServiceConfig, service_id)


def get_by_name(session: Session, name: str) -> DockerServiceConfig | None:
    return session.scalar(select(DockerServiceConfig).where(DockerServiceConfig.name == name))


def add_history(session: Session, service_id: str, *, status: str, event: str, detail: str | None = None) -> None:
    session.add(DockerService(service_id=service_id, status=status, event=event, detail=detail))


def history(session: Session, service_id: str, limit: int = 50) -> list[DockerService]:
    stmt = (select(DockerService).where(DockerService.service_id == service_id)
            .order_by(DockerService.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def host_counts(session: Session) -> dict[str, int]:
    """{host name: number of managed services whose compose file names it}."""
    rows = session.execute(select(DockerServiceConfig.host, func.count()).group_by(DockerServiceConfig.host))
    return {host: count for host, count in rows}


def names_on_host(session: Session, host: str) -> list[str]:
    stmt = select(DockerServiceConfig.name).where(DockerServiceConfig.host == host).order_by(DockerServiceConfig.name)
    return list(session.scalars(stmt))
