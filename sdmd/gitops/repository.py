"""Queries for gitops state; nothing else in sdmd writes SQL for these tables."""

from __future__ import annotations

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


def all_stacks(session: Session) -> dict[str, GitopsStack]:
    return {row.name: row for row in session.scalars(select(GitopsStack))}


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
