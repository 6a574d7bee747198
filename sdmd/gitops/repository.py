"""Queries for gitops state; nothing else in sdmd writes SQL for these tables."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sdmd.gitops.models import GitopsRepo, GitopsStack

REPO_ID = "stacks"


def get(session: Session, name: str) -> GitopsStack | None:
    return session.get(GitopsStack, name)


def get_or_create(session: Session, name: str) -> GitopsStack:
    row = session.get(GitopsStack, name)
    if row is None:
        row = GitopsStack(name=name)
        session.add(row)
    return row


def all_stacks(session: Session, among: Collection[str] | None = None) -> dict[str, GitopsStack]:
    """Every stack's row (or those named)."""
    stmt = select(GitopsStack)
    if among is not None:
        stmt = stmt.where(GitopsStack.name.in_(list(among)))
    return {row.name: row for row in session.scalars(stmt)}


def names(session: Session, among: Collection[str] | None = None) -> set[str]:
    stmt = select(GitopsStack.name)
    if among is not None:
        stmt = stmt.where(GitopsStack.name.in_(list(among)))
    return set(session.scalars(stmt))


def remove(session: Session, name: str) -> None:
    session.execute(delete(GitopsStack).where(GitopsStack.name == name))


def repo_state(session: Session) -> GitopsRepo | None:
    return session.get(GitopsRepo, REPO_ID)


def repo_state_for_update(session: Session) -> GitopsRepo:
    row = session.get(GitopsRepo, REPO_ID)
    if row is None:
        row = GitopsRepo(id=REPO_ID, state="unknown")
        session.add(row)
    return row
