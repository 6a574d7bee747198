"""Stop, start, pause, unpause of a service and of one container, restart of one container, the read-only
inspect view; audited, refused for unmanaged projects. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

from tests.conftest import database_url  # noqa: F401 (both databases again, as the suite's default)
from tests.live.conftest import TICKER
from tests.support import IMAGE_V1, compose, docker_api

TWO = {"app": TICKER, "other": {**TICKER, "environment": {"API_TOKEN": "hunter2-very-secret", "PLAIN": "x"}}}


def states(name: str) -> dict[str, str]:
    api = docker_api()
    try:
        return {c["Labels"]["com.docker.compose.service"]: c["State"]
                for c in api.containers(all=True, filters={"label": f"com.docker.compose.project={name}"})}
    finally:
        api.close()


def started_at(container: str) -> str:
    api = docker_api()
    try:
        return api.inspect_container(container)["State"]["StartedAt"]
    finally:
        api.close()


def audit(client, name: str) -> list[tuple[str, str, str | None]]:
    items = client.get("/api/audit", params={"target": name}).json()["items"]
    return [(i["action"], i["outcome"], i["details"].get("container")) for i in reversed(items)]


def test_service_stop_start_pause_unpause(client, unique_name) -> None:
    name = unique_name("s")
    svc = client.post("/api/services", json={"name": name, "services": TWO}).json()
    for action, state, status in [("stop", "exited", "stopped"), ("start", "running", "running"),
                                  ("pause", "paused", "stopped"), ("unpause", "running", "running")]:
        r = client.post(f"/api/services/{svc['id']}/{action}")
        assert r.status_code == 200, r.text
        assert states(name) == {"app": state, "other": state}
        assert r.json()["status"] == status
        assert {c["state"] for c in r.json()["containers"]} == {state}
    assert audit(client, name)[1:] == [("service.stop", "ok", None), ("service.start", "ok", None),
                                       ("service.pause", "ok", None), ("service.unpause", "ok", None)]


def test_one_container(client, unique_name) -> None:
    name = unique_name("c")
    svc = client.post("/api/services", json={"name": name, "services": TWO}).json()
    other = f"{name}-other-1"
    r = client.post(f"/api/services/{svc['id']}/containers/{other}/stop")
    assert r.status_code == 200 and r.json()["status"] == "partial"
    assert states(name) == {"app": "running", "other": "exited"}
    refused = client.post(f"/api/services/{svc['id']}/containers/{other}/pause")
    assert refused.status_code == 409 and "not running" in refused.json()["details"]
    assert client.post(f"/api/services/{svc['id']}/containers/other/start").status_code == 200  # by service
    before = started_at(other)
    container_id = next(c["id"] for c in r.json()["containers"] if c["name"] == other)
    assert client.post(f"/api/services/{svc['id']}/containers/{container_id}/restart").status_code == 200
    assert started_at(other) != before
    assert client.post(f"/api/services/{svc['id']}/containers/{other}/pause").status_code == 200
    assert states(name) == {"app": "running", "other": "paused"}
    assert client.post(f"/api/services/{svc['id']}/containers/{other}/unpause").status_code == 200
    assert states(name) == {"app": "running", "other": "running"}
    missing = client.post(f"/api/services/{svc['id']}/containers/{name}-nope-1/stop")
    assert missing.status_code == 404 and missing.json()["error"] == "container not found"
    assert audit(client, name)[1:] == [
        ("container.stop", "ok", other), ("container.pause", "error", other), ("container.start", "ok", other),
        ("container.restart", "ok", other), ("container.pause", "ok", other), ("container.unpause", "ok", other),
        ("container.stop", "error", f"{name}-nope-1")]


def test_inspect_masks_environment_values(client, unique_name) -> None:
    name = unique_name("i")
    svc = client.post("/api/services", json={"name": name, "services": TWO}).json()
    r = client.get(f"/api/services/{svc['id']}/containers/{name}-other-1")
    assert r.status_code == 200
    info = r.json()
    assert info["Name"] == f"/{name}-other-1" and info["State"]["Status"] == "running"
    assert "API_TOKEN=[redacted]" in info["Config"]["Env"] and "PLAIN=[redacted]" in info["Config"]["Env"]
    assert "hunter2" not in json.dumps(info)
    assert info["Config"]["Labels"]["com.docker.compose.service"] == "other"


def test_unmanaged_projects_are_read_only(client, unique_name, tmp_path) -> None:
    name = unique_name("x")
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  a:\n    image: {IMAGE_V1}\n    command: [sleep, '300']\n    init: true\n"
        "    environment: {PASSWORD: swordfish}\n")
    compose(name, str(tmp_path), "up", "-d")
    for path in ["stop", "start", "pause", "unpause", f"containers/{name}-a-1/stop",
                 f"containers/{name}-a-1/restart"]:
        r = client.post(f"/api/services/ext_{name}/{path}")
        assert r.status_code == 409 and r.json()["error"] == "service is not managed by sdmd", path
    assert states(name) == {"a": "running"}
    info = client.get(f"/api/services/ext_{name}/containers/a").json()  # reading is fine
    assert info["Config"]["Env"][0] == "PASSWORD=[redacted]"
