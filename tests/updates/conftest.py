"""Fixtures of the updates tests: Redis, workers and settings as in tests/schedules, plus tagged
test-private repositories on the shared registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.schedules.conftest import processes, redis, redis_socket, redis_url, settings  # noqa: F401
from tests.support import remove_projects
from tests.updates.support import TaggedRepo


@pytest.fixture
def tagged(name_prefix: str) -> Iterator[Callable[..., TaggedRepo]]:
    made: list[TaggedRepo] = []

    def make(label: str = "tags", **kwargs) -> TaggedRepo:
        repo = TaggedRepo(f"{name_prefix}-{label}{len(made)}".lower(), **kwargs)
        made.append(repo)
        return repo

    yield make
    remove_projects(name_prefix)  # containers first, or their images cannot go
    for repo in made:
        repo.cleanup()
