"""Notifications: real receivers, plus the schedules fixtures (private Redis, real `sdmd worker`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sdmd.config import Settings
from tests.notifications.receivers import JsonReceiver, SmtpReceiver
from tests.schedules.conftest import processes, redis, redis_socket, redis_url, upstream  # noqa: F401 (fixtures)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, gitops_watch=False, health_grace_seconds=1.0,
                    health_timeout_seconds=20.0, update_wait_seconds=90.0, public_url="https://sdmd.example.com",
                    notify_retry_seconds=[1, 1], notify_timeout_seconds=10.0, notify_flap_window_seconds=300,
                    notify_restart_loop_count=3, notify_restart_loop_minutes=5.0)


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    r = JsonReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    r = SmtpReceiver().start()
    yield r
    r.stop()


def notify_env(settings: Settings) -> dict[str, str]:
    """What `sdmd worker` needs beyond tests/schedules' process_env."""
    return {"SDMD_PUBLIC_URL": settings.public_url,
            "SDMD_NOTIFY_RETRY_SECONDS": str(list(settings.notify_retry_seconds)),
            "SDMD_NOTIFY_TIMEOUT_SECONDS": str(settings.notify_timeout_seconds)}
