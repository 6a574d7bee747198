"""All of sdmd's settings, read once from the environment (prefix SDMD_)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SDMD_", env_file=None, extra="ignore")

    data_dir: Path = Path("./data")
    stacks_dir: Path = Path("./stacks")
    # Empty means SQLite in the data dir; PostgreSQL is postgresql+psycopg://user:pass@host/db.
    database_url: str = ""
    # Empty means the local socket (or DOCKER_HOST when the environment sets it).
    docker_host: str = ""
    docker_timeout_seconds: float = Field(default=5.0, gt=0)
    compose_timeout_seconds: float = Field(default=300.0, gt=0)
    pull_timeout_seconds: float = Field(default=300.0, gt=0)
    log_tail_max: int = 10000
    web_dir: Path | None = None  # the built web UI; defaults to the package's static folder
    timezone: str = "UTC"

    # -- deploy: log output (sdmd/logging.py) --
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sdmd.db').resolve()}"

    @property
    def docker_base_url(self) -> str | None:
        return self.docker_host or None

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stacks_dir.mkdir(parents=True, exist_ok=True)

    # -- gitops: the stacks folder as a git repository, reconciled with the database and Docker
    reconcile_seconds: float = Field(default=30.0, gt=0)
    gitops_apply: Literal["auto", "manual"] = "auto"  # manual: hand edits wait for POST .../apply
    gitops_prune: bool = False  # a deleted folder's service is removed (else marked orphaned)
    gitops_watch: bool = True  # the API process watches the folder and reconciles periodically
    git_remote: str = ""  # optional: fetch + fast-forward on each reconcile, push sdmd's commits
    git_branch: str = "main"
