"""Fixtures for both auth modes: local (built-in users) and Supabase (against the GoTrue contract double)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.auth.gotrue_double import GoTrueContractDouble

SUPABASE_EMAIL = "supa@example.com"
SUPABASE_PASSWORD = "supabase password 1"


def supabase_settings(tmp_path: Path, database_url: str, gotrue: GoTrueContractDouble, **extra) -> Settings:
    fields = {"data_dir": tmp_path / "data", "stacks_dir": tmp_path / "stacks", "database_url": database_url,
              "auth_mode": "supabase", "supabase_url": gotrue.url, "supabase_anon_key": gotrue.anon_key}
    if gotrue.algorithm == "HS256":
        fields["supabase_jwt_secret"] = gotrue.jwt_secret
    return Settings(**{**fields, **extra})


@pytest.fixture
def make_gotrue() -> Iterator[Callable[..., GoTrueContractDouble]]:
    started: list[GoTrueContractDouble] = []

    def make(algorithm: str = "ES256", **kwargs) -> GoTrueContractDouble:
        double = GoTrueContractDouble(algorithm=algorithm, **kwargs).start()
        double.add_user(SUPABASE_EMAIL, SUPABASE_PASSWORD)
        started.append(double)
        return double

    yield make
    for double in started:
        double.stop()


@pytest.fixture(params=["ES256", "HS256"])
def gotrue(request: pytest.FixtureRequest, make_gotrue) -> GoTrueContractDouble:
    return make_gotrue(request.param)


@pytest.fixture
def make_supabase_client(tmp_path: Path, database_url: str):
    """A TestClient of an sdmd in supabase mode talking to the given double; settings may be overridden."""
    cores: list[Core] = []
    clients: list[TestClient] = []

    def make(gotrue: GoTrueContractDouble, **extra) -> TestClient:
        core = Core(supabase_settings(tmp_path / f"s{len(cores)}", database_url, gotrue, **extra))
        core.settings.ensure_dirs()
        core.db.migrate()
        cores.append(core)
        client = TestClient(create_app(core=core))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
    for core in cores:
        core.close()


@pytest.fixture
def supabase_client(gotrue, make_supabase_client) -> TestClient:
    return make_supabase_client(gotrue)


def login(client: TestClient, username: str, password: str) -> dict:
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
