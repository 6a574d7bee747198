"""Fixtures for the crash-safety tests: a real `sdmd serve` child process and the test user's token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sdmd.config import Settings
from sdmd.core import Core
from tests.crash.support import ApiProcess
from tests.support_auth import ensure_user


@pytest.fixture
def api(core: Core, settings: Settings, tmp_path: Path) -> Iterator[ApiProcess]:
    ensure_user(core)
    token = core.auth.issue_local_session(email=ensure_user(core).email)["access_token"]
    proc = ApiProcess(settings, token, tmp_path)
    yield proc
    proc.stop()
