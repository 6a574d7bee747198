"""Fixtures: a real Docker engine, registry, Redis and PostgreSQL (see scripts/provision.sh).

The database fixture runs each test that uses it on SQLite and on PostgreSQL
(SDMD_TEST_DATABASES=sqlite or =postgresql narrows it while developing). A test marked `one_database`
(an end-to-end flow through Docker, the registry and the worker, whose database part the store and API
tests already run on both) runs on one of them, the same one every run, chosen by its name, so each
database still carries about half of those flows.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests import support
from tests.support import PG_ADMIN_URL, RUN_ID, remove_projects

DATABASES = [d for d in os.environ.get("SDMD_TEST_DATABASES", "sqlite,postgresql").split(",") if d]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        database = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        if database and len(DATABASES) > 1 and item.get_closest_marker("one_database"):
            flow = item.nodeid.replace(database, "")
            if database != DATABASES[zlib.crc32(flow.encode()) % len(DATABASES)]:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_sessionstart(session: pytest.Session) -> None:
    try:
        api = support.docker_api()
        api.ping()
        api.inspect_image(support.IMAGE_V1)
    except Exception as exc:  # the test command provisions these; say how when run bare
        raise pytest.UsageError(f"Docker engine or test images missing ({exc}); run scripts/provision.sh") from exc


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    remove_projects(RUN_ID)


@pytest.fixture
def name_prefix(request: pytest.FixtureRequest) -> Iterator[str]:
    """A per-test prefix for compose project names; whatever carries it is removed afterwards."""
    prefix = f"{RUN_ID}{secrets.token_hex(2)}"
    yield prefix
    remove_projects(prefix)


@pytest.fixture
def unique_name(name_prefix: str):
    counter = iter(range(1000))
    return lambda label="s": f"{name_prefix}-{label}{next(counter)}"


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sdmd.db'}"
        return
    name = f"sdmd_{RUN_ID}_{secrets.token_hex(3)}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    # The gitops watcher would reconcile in the background of every test app; its own tests turn it on.
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False)


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    yield core
    core.close()


@pytest.fixture
def app(core: Core):
    return create_app(core=core)


@pytest.fixture
def client(app, core: Core) -> Iterator[TestClient]:
    """An API client that is logged in (see tests/support_auth.py)."""
    from tests.support_auth import authenticate

    with TestClient(app) as c:
        authenticate(c, core)
        yield c


@pytest.fixture
def anonymous_client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_image(name_prefix: str) -> Iterator[Callable[..., str]]:
    """Commits a fresh image (its own id, the busybox test image's layers) tagged `repo:tag`, labelled
    sdmd.test=<prefix>; every image and container with that label is removed afterwards."""
    api = support.docker_api()
    label = f"{support.TEST_LABEL}={name_prefix}"

    def make(repo: str | None = None, tag: str = "1") -> str:
        box = api.create_container(support.IMAGE_V1, command=["true"], labels={support.TEST_LABEL: name_prefix})
        try:
            kwargs = {"repository": repo, "tag": tag} if repo else {}
            return api.commit(box["Id"], changes=[f"LABEL {label}"], **kwargs)["Id"]
        finally:
            api.remove_container(box["Id"], force=True)

    yield make
    for c in api.containers(all=True, filters={"label": label}):
        api.remove_container(c["Id"], force=True)
    for image in api.images(filters={"label": label}):
        with contextlib.suppress(Exception):  # already gone with another tag
            api.remove_image(image["Id"], force=True)
    api.close()
