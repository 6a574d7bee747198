"""Gitops tests drive reconcile directly (deterministic); one test runs the watcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmd.config import Settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False, reconcile_seconds=3600)
