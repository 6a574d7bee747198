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
import shutil
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


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


class MigratedTemplates:
    """Per test process, one database of each kind migrated once; a test's database starts as a copy of it
    (a file copy, or PostgreSQL's CREATE DATABASE ... TEMPLATE), which is what migrating an empty one gives,
    without running every migration again for each test. `sdmd migrate` on an empty database is tested on
    its own (tests/test_cli.py, `empty_database_url`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgresql: str | None = None

    def sqlite(self) -> Path:
        if self._sqlite is None:
            path = self.folder / "template.db"
            _migrate(f"sqlite:///{path}")
            self._sqlite = path
        return self._sqlite

    def postgresql(self, admin: sa.Engine) -> str:
        if self._postgresql is None:
            name = f"sdmd_{RUN_ID}_template_{secrets.token_hex(3)}"
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            _migrate(_pg_url(name))
            self._postgresql = name
        return self._postgresql

    def drop(self, admin: sa.Engine) -> None:
        if self._postgresql is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self._postgresql}" WITH (FORCE)'))


def _migrate(url: str) -> None:
    from sdmd.db.migrate import upgrade

    engine = sa.create_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory, pg_admin: sa.Engine) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop(pg_admin)


@contextlib.contextmanager
def _new_database(kind: str, tmp_path: Path, admin: sa.Engine, template: str | Path | None) -> Iterator[str]:
    if kind == "sqlite":
        path = tmp_path / "sdmd.db"
        if template is not None:
            shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    name = f"sdmd_{RUN_ID}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_admin: sa.Engine,
                 migrated_templates: MigratedTemplates) -> Iterator[str]:
    """A database at the schema's head, of each kind."""
    kind = request.param
    template = migrated_templates.sqlite() if kind == "sqlite" else migrated_templates.postgresql(pg_admin)
    with _new_database(kind, tmp_path, pg_admin, template) as url:
        yield url


@pytest.fixture
def sqlite_database_url(tmp_path: Path, pg_admin: sa.Engine, migrated_templates: MigratedTemplates) -> Iterator[str]:
    """A SQLite database at the schema's head: for tests whose subject is not the database."""
    with _new_database("sqlite", tmp_path, pg_admin, migrated_templates.sqlite()) as url:
        yield url


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_admin: sa.Engine) -> Iterator[str]:
    """An empty database, of each kind: for what creates the schema itself."""
    with _new_database(request.param, tmp_path, pg_admin, None) as url:
        yield url


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
