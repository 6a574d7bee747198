"""Webhook tests run the real update job: a private redis-server and a real `sdmd worker` (tests/schedules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmd.config import Settings
from tests.schedules.conftest import processes, redis, redis_socket, redis_url  # noqa: F401 (fixtures)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, gitops_watch=False, health_grace_seconds=1.0,
                    health_timeout_seconds=20.0, update_wait_seconds=90.0, webhook_max_calls=3)
