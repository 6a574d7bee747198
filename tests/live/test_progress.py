"""Progress streams: the same write endpoints with `Accept: text/event-stream` report compose's own steps,
the daemon's pull layers and the result (or compose's real reason) as server-sent events."""

from __future__ import annotations

import re
import secrets

import httpx

from tests.live.conftest import TICKER, Event, Live, read_events
from tests.schedules.conftest import upstream  # noqa: F401 (fixture)
from tests.support import IMAGE_V1, REGISTRY, docker_api, wait_until

SSE = {"Accept": "text/event-stream"}


def stream(client: httpx.Client, method: str, path: str, **kwargs) -> list[Event]:
    with client.stream(method, path, headers={**SSE, **kwargs.pop("headers", {})}, **kwargs) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        return list(read_events(r))


def statuses(events: list[Event], name_part: str) -> list[str]:
    return [e.data["status"] for e in events if e.event == "progress" and e.data.get("kind") == "compose"
            and name_part in e.data.get("name", "")]


def test_create_restart_delete_stream_compose_progress(live: Live, unique_name) -> None:
    name = unique_name("p")
    with live.client() as c:
        events = stream(c, "POST", "/api/services", json={"name": name, "services": {"app": TICKER}})
        assert events[0].data["kind"] == "accepted"
        assert [e.data["seq"] for e in events[:-1]] == list(range(1, len(events)))
        steps = [e.data["message"] for e in events if e.data.get("kind") == "step"]
        assert any("compose config" in s for s in steps) and "docker compose up" in steps
        assert statuses(events, f"{name}-app-1") == ["Creating", "Created", "Starting", "Started"]
        final = events[-1]
        assert final.event == "result" and final.data["status"] == 201
        assert final.data["body"]["status"] == "running" and final.data["headers"]["etag"]
        service_id = final.data["body"]["id"]

        events = stream(c, "POST", f"/api/services/{service_id}/restart")
        assert statuses(events, "app-1") == ["Restarting", "Started"]
        assert events[-1].event == "result" and events[-1].data["body"]["status"] == "running"

        events = stream(c, "DELETE", f"/api/services/{service_id}")
        assert statuses(events, "app-1") == ["Stopping", "Stopped", "Removing", "Removed"]
        assert "Removed" in statuses(events, "_default")
        assert events[-1].data == {"status": 200, "body": {"status": "deleted", "id": service_id},
                                   "headers": events[-1].data["headers"]}
        assert c.get(f"/api/services/{service_id}").status_code == 404
        actions = [e["action"] for e in c.get("/api/audit", params={"target": name}).json()["items"]]
        assert actions == ["service.delete", "service.restart", "service.create"]


def test_failed_update_ends_with_compose_reason_and_keeps_the_old_version(live: Live, unique_name) -> None:
    name = unique_name("f")
    created = live.create(name)
    missing = f"{REGISTRY}/sdmd-test/missing-{secrets.token_hex(4)}:1"
    with live.client() as c:
        compose = c.get(f"/api/services/{created['id']}").json()["compose"]
        broken = compose.replace(IMAGE_V1, missing)
        events = stream(c, "PUT", f"/api/services/{created['id']}", content=broken,
                        headers={"Content-Type": "application/yaml"})
        final = events[-1]
        assert final.event == "error" and final.data["status"] == 422
        # the cause in words, as the plain answer words it (sdmd/docker/compose_errors.py), and where it is
        assert final.data["error"] == f"The image {missing} was not found in its registry"
        assert final.data["field"] == "services.app.image"
        assert "missing-" in final.data["details"] and "previous definition was restored" in final.data["details"]
        # compose's own words reached the stream as they were printed, before the verdict
        said = " ".join(e.data.get("line", "") + e.data.get("status", "") for e in events if e.event == "progress")
        assert "Error" in said or "error" in said
        after = c.get(f"/api/services/{created['id']}").json()
        assert after["compose"] == compose and after["status"] == "running"
        assert after["containers"][0]["image"] == IMAGE_V1


def test_refusals_and_plain_requests(live: Live, unique_name, tmp_path) -> None:
    name = unique_name("r")
    created = live.create(name)
    with httpx.Client(base_url=live.url, timeout=30) as anonymous:
        r = anonymous.post(f"/api/services/{created['id']}/restart", headers=SSE)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    with live.client() as c:
        events = stream(c, "POST", "/api/services/no-such-service/restart")
        assert [e.event for e in events] == ["progress", "error"]
        assert events[-1].data["status"] == 404 and events[-1].data["error"] == "service not found"
        # an unmanaged compose project is read-only, streamed or not
        outsider = unique_name("x")
        project_dir = tmp_path / outsider
        project_dir.mkdir()
        (project_dir / "compose.yaml").write_text(
            f"services:\n  a:\n    image: {IMAGE_V1}\n    command: [sleep, '300']\n    init: true\n")
        from tests.support import compose
        compose(outsider, str(project_dir), "up", "-d")
        events = stream(c, "POST", f"/api/services/ext_{outsider}/stop")
        assert events[-1].event == "error" and events[-1].data["status"] == 409
        # without the Accept header nothing changed
        plain = c.post(f"/api/services/{created['id']}/restart")
        assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"


def test_pull_streams_each_layer(live: Live, upstream) -> None:  # noqa: F811
    repo = upstream("pull")
    built = repo.build(IMAGE_V1, "RUN dd if=/dev/urandom of=/blob bs=1024 count=3000 2>/dev/null")
    repo.publish(built)
    repo.forget(repo.ref)
    repo.forget(built)
    with live.client() as c:
        events = stream(c, "POST", "/api/images/pull", json={"image": repo.ref})
    layers = [e.data for e in events if e.data.get("kind") == "layer"]
    assert layers, [e.data for e in events]
    assert {"Pulling fs layer", "Pull complete"} <= {layer["status"] for layer in layers}
    downloading = [layer for layer in layers if layer["status"] == "Downloading"]
    assert downloading and all(d["total"] and d["current"] <= d["total"] for d in downloading)
    assert any(e.data.get("kind") == "pull" and "Digest" in e.data["status"] for e in events)
    final = events[-1]
    assert final.event == "result" and final.data["body"]["image_id"].startswith("sha256:")


def test_a_client_that_leaves_does_not_stop_the_operation(live: Live, unique_name) -> None:
    name = unique_name("g")
    with live.client() as c:
        with c.stream("POST", "/api/services", json={"name": name, "services": {"app": TICKER}}, headers=SSE) as r:
            first = next(read_events(r))
            assert first.data["kind"] == "accepted"
        # the connection is closed here, mid-operation
        wait_until(lambda: c.get(f"/api/services/{name}").status_code == 200
                   and c.get(f"/api/services/{name}").json()["status"] == "running", timeout=60,
                   what="the create to finish without its client")
        audit = wait_until(lambda: c.get("/api/audit", params={"target": name, "action": "service.create"})
                           .json()["items"], timeout=30, what="the audit record, written as the create ends")
        assert [a["outcome"] for a in audit] == ["ok"]
    api = docker_api()
    try:
        assert api.containers(filters={"label": f"com.docker.compose.project={name}"})
    finally:
        api.close()


def test_apply_streams_its_progress(live: Live, unique_name) -> None:
    name = unique_name("a")
    created = live.create(name)
    path = live.core.settings.stacks_dir / name / "compose.yaml"
    before = path.read_text()
    edited = re.sub(r"(\n( +)sdmd\.test: \S+\n)", r"\1\2edited: 'yes'\n", before)  # a label: a recreate
    assert edited != before
    path.write_text(edited)
    with live.client() as c:
        events = stream(c, "POST", f"/api/services/{created['id']}/apply")
    assert "Recreate" in statuses(events, "app-1") and "Started" in statuses(events, "app-1")
    assert events[-1].event == "result" and events[-1].data["status"] == 200
