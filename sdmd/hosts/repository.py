"""Queries for the hosts table; nothing else in sdmd writes SQL for it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sdmd.hosts.models import Host


def all_hosts(session: Session) -> list[Host]:
    return list(session.scalars(select(Host).order_by(Host.name)))


def get(session: Session, host_id: str) -> Host | None:
    return session.get(Host, host_id)


def get_by_name(session: Session, name: str) -> Host | None:
    return session.scalar(select(Host).where(Host.name == name))
