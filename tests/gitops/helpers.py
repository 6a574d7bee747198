"""Reading the stacks repository and Docker the way a person would: git and docker on the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.core import Core
from tests.support import IMAGE_V1, docker_api


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def commit_count(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD"))


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def files_in(repo: Path, rev: str = "HEAD") -> list[str]:
    return git(repo, "show", "--name-only", "--format=", rev).splitlines()


def author(repo: Path, rev: str = "HEAD") -> tuple[str, str]:
    name, email = git(repo, "show", "-s", "--format=%an%x1f%ae", rev).split("\x1f")
    return name, email


def containers(project: str) -> dict[str, dict[str, Any]]:
    """{container id: summary} for a compose project, straight from Docker."""
    api = docker_api()
    try:
        found = api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    finally:
        api.close()
    return {c["Id"]: c for c in found}


def running_ids(project: str) -> set[str]:
    return {cid for cid, c in containers(project).items() if c["State"] == "running"}


def audit_rows(core: Core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.id)))


def sleeper_yaml(name: str, *, image: str = IMAGE_V1, comment: str = "", extra: str = "") -> str:
    return (f"{comment}services:\n"
            f"  app:\n"
            f"    image: {image}\n"
            f"    command: [\"sleep\", \"3600\"]\n"
            f"    init: true\n"
            f"{extra}")
