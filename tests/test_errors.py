"""The error contract: {"error", "details"} for every failure, 503 fast when Docker is gone."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.support_auth import authenticate


def test_docker_daemon_down_is_503_within_5_seconds(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks",
                        docker_host=f"unix://{tmp_path}/no-such.sock")
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    with TestClient(create_app(core=core)) as client:
        authenticate(client, core)
        for method, path, body in (("GET", "/api/services", None), ("GET", "/api/health/status", None),
                                   ("POST", "/api/images/pull", {"image": "127.0.0.1:5000/x", "tag": "1"}),
                                   ("POST", "/api/services", {"name": "x", "image": "127.0.0.1:5000/x:1"})):
            started = time.monotonic()
            r = client.request(method, path, json=body)
            assert time.monotonic() - started < 5
            assert r.status_code == 503, (path, r.text)
            assert r.json()["error"] == "docker daemon unavailable"
        assert client.get("/healthz").status_code == 200  # the API itself stays up
    core.close()


def test_unknown_path_and_wrong_method(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not found"
    r = client.patch("/api/services")
    assert r.status_code == 405 and r.json() == {"error": "method not allowed", "details": None}


def test_validation_error_names_the_field(client):
    r = client.post("/api/images/pull", json={"tag": "1"})
    assert r.status_code == 422
    assert r.json()["error"] == "invalid input" and "image" in r.json()["details"]


def test_malformed_json_and_wrong_content_type(client):
    r = client.post("/api/services", content="{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid JSON"
    r = client.post("/api/services", content="x", headers={"content-type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"] == "unsupported content type"


def test_unexpected_errors_are_500_without_a_stack_trace(app, client):
    @app.get("/api/boom-for-test")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as raw:
        raw.headers.update(client.headers)
        r = raw.get("/api/boom-for-test")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error", "details": "RuntimeError"}
    assert "secret internals" not in r.text and "Traceback" not in r.text
