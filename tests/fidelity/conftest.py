"""Fidelity runs are about files, not databases: SQLite only; gitops in manual mode seeds the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmd.config import Settings


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    return sqlite_database_url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # manual: a file put in the stacks folder becomes a managed service without `compose up`
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False, gitops_apply="manual", reconcile_seconds=3600)
