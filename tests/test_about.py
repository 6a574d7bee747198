"""GET /api/about: the version, the Docker engine, and where /docs and the RQ dashboard are."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sdmd.about.router import sdmd_version
from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.support import docker_api
from tests.support_auth import authenticate


def test_about_names_version_docs_and_rq_dashboard(client, core):
    r = client.get("/api/about")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == sdmd_version() == client.get("/openapi.json").json()["info"]["version"]
    assert body["docs_url"] == "/docs" and client.get("/docs").status_code == 200
    assert body["rq_dashboard_url"] == "http://127.0.0.1:9181" and body["auth_mode"] == "local"
    api = docker_api()
    try:
        assert body["docker"] == {"version": api.version()["Version"], "api_version": api.version()["ApiVersion"],
                                  "error": None}
    finally:
        api.close()


def test_the_rq_dashboard_url_is_a_setting(client, core):
    core.settings.rq_dashboard_url = "https://rq.example.com/"
    assert client.get("/api/about").json()["rq_dashboard_url"] == "https://rq.example.com/"
    core.settings.rq_dashboard_url = ""
    assert client.get("/api/about").json()["rq_dashboard_url"] is None


def test_about_answers_while_docker_is_down(tmp_path, database_url):
    settings = Settings(data_dir=tmp_path / "d", stacks_dir=tmp_path / "s", database_url=database_url,
                        gitops_watch=False, docker_host=f"unix://{tmp_path}/no-docker.sock", docker_timeout_seconds=1)
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    try:
        with TestClient(create_app(core=core)) as client:
            authenticate(client, core)
            body = client.get("/api/about").json()
        assert body["docker"]["version"] is None and body["docker"]["error"] == "docker daemon unavailable"
    finally:
        core.close()
