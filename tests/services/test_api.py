"""The services API against a real Docker engine, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest
import sqlalchemy as sa

from tests.support import HTTPD, IMAGE_V1, IMAGE_V2, SLEEPER, docker_api, wait_until


def web(name: str, image: str = IMAGE_V1, **extra) -> dict:
    return {"name": name, "image": image, **HTTPD, "ports": ["127.0.0.1::8080"], **extra}


def containers_of(project: str) -> list[dict]:
    api = docker_api()
    try:
        return api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    finally:
        api.close()


def inspect(container_id: str) -> dict:
    api = docker_api()
    try:
        return api.inspect_container(container_id)
    finally:
        api.close()


def fetch(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        return resp.read().decode()


def host_port(view: dict, service: str | None = None) -> int:
    for c in view["containers"]:
        if service is None or c["service"] == service:
            return c["ports"][0]["host_port"]
    raise AssertionError(f"no published port in {view}")


def db_rows(core, table: str) -> list:
    with core.db.engine.connect() as conn:
        return list(conn.execute(sa.text(f"SELECT * FROM {table}")))


def test_create_single_container_service_runs_and_serves(client, core, unique_name):
    name = unique_name()
    r = client.post("/api/services", json=web(name, environment={"GREETING": "hi"}))
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["name"] == name and view["managed"] is True and view["status"] == "running"
    assert view["id"].startswith("svc_")
    assert r.headers["etag"].strip('"') == view["content_hash"]
    assert wait_until(lambda: "sdmd test app v1" in fetch(host_port(view)), what="httpd answers")
    # compose sees the project sdmd made, under the service's name
    ls = subprocess.run(["docker", "compose", "ls", "-a", "--format", "json"], capture_output=True, text=True)
    assert f'"Name":"{name}"' in ls.stdout.replace(" ", "")
    (container,) = containers_of(name)
    assert "GREETING=hi" in inspect(container["Id"])["Config"]["Env"]
    assert (core.settings.stacks_dir / name / "compose.yaml").read_text() == view["compose"]
    (row,) = db_rows(core, "docker_service_configs")
    assert row.name == name and row.compose_text == view["compose"]


def test_multi_container_service_with_depends_on_volumes_and_ports(client, unique_name):
    name = unique_name("app")
    body = {
        "name": name,
        "services": {
            "web": {"image": IMAGE_V1, **HTTPD, "ports": ["127.0.0.1::8080", "127.0.0.1::9000-9001/udp"],
                    "depends_on": {"db": {"condition": "service_started"}}, "restart": "unless-stopped",
                    "volumes": ["data:/data", "./conf:/conf:ro"]},
            "db": {"image": IMAGE_V1, **SLEEPER, "labels": {"tier": "db"}},
        },
    }
    r = client.post("/api/services", json=body)
    assert r.status_code == 201, r.text
    view = r.json()
    assert sorted(c["service"] for c in view["containers"]) == ["db", "web"]
    by_service = {c["Labels"]["com.docker.compose.service"]: c for c in containers_of(name)}
    web_info = inspect(by_service["web"]["Id"])
    db_info = inspect(by_service["db"]["Id"])
    # depends_on: compose started db before web
    assert db_info["State"]["StartedAt"] <= web_info["State"]["StartedAt"]
    assert by_service["db"]["Labels"]["tier"] == "db"
    assert web_info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    mounts = {m["Destination"]: m for m in web_info["Mounts"]}
    assert mounts["/data"]["Type"] == "volume" and mounts["/data"]["Name"] == f"{name}_data"
    assert mounts["/conf"]["Type"] == "bind" and mounts["/conf"]["RW"] is False
    bindings = web_info["HostConfig"]["PortBindings"]
    assert bindings["8080/tcp"][0]["HostIp"] == "127.0.0.1"
    assert "9000/udp" in bindings and "9001/udp" in bindings
    published = {(p["container_port"], p["protocol"]) for c in view["containers"] for p in c["ports"]}
    assert {(8080, "tcp"), (9000, "udp"), (9001, "udp")} <= published


def test_raw_compose_yaml_is_kept_verbatim_and_applied(client, unique_name):
    name = unique_name("yaml")
    text = (
        "# hand-written\n"
        "services:\n"
        "  worker:\n"
        f"    image: {IMAGE_V1}  # v1 for now\n"
        "    command: [sleep, '3600']\n"
        "    init: true\n"
        "    healthcheck:\n"
        "      test: [CMD, 'true']\n"
        "      interval: 1s\n"
    )
    r = client.post(f"/api/services?name={name}", content=text, headers={"content-type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert r.json()["compose"] == text
    (container,) = containers_of(name)
    info = inspect(container["Id"])
    assert info["Config"]["Healthcheck"]["Test"] == ["CMD", "true"]
    assert info["HostConfig"]["Init"] is True
    got = client.get(f"/api/services/{r.json()['id']}").json()
    assert got["compose"] == text
    wait_until(lambda: client.get(f"/api/services/{name}").json()["containers"][0]["health"] == "healthy",
               what="healthy")


def test_update_keeps_comments_and_recreates_with_new_image(client, core, unique_name):
    name = unique_name("upd")
    text = (
        f"name: {name}\n"
        "# top comment\n"
        "services:\n"
        f"  {name}:\n"
        f"    image: {IMAGE_V1}  # image comment\n"
        "    command: [httpd, -f, -p, '8080', -h, /www]\n"
        "    init: true\n"
        "    ports:\n"
        "      - 127.0.0.1::8080  # port comment\n"
    )
    sid = client.post("/api/services", content=text, headers={"content-type": "application/yaml"}).json()["id"]
    r = client.put(f"/api/services/{sid}", json=web(name, IMAGE_V2))
    assert r.status_code == 200, r.text
    new_text = r.json()["compose"]
    assert "# top comment" in new_text and "# port comment" in new_text
    assert "command: [httpd, -f, -p, '8080', -h, /www]" in new_text  # unchanged flow style kept
    assert f"image: {IMAGE_V2}" in new_text
    assert wait_until(lambda: "sdmd test app v2" in fetch(host_port(r.json())), what="v2 serves")
    assert core.stacks.read(name) == new_text


def test_invalid_definitions_change_nothing(client, core, unique_name):
    name = unique_name("bad")
    for body in (
        {"name": name, "image": IMAGE_V1, "ports": ["not-a-port"]},
        {"name": name, "image": IMAGE_V1, "restart": "sometimes"},
        {"name": "Bad Name", "image": IMAGE_V1},
        {"name": name, "image": IMAGE_V1, "depends_on": ["missing"]},
        {"name": name, "services": {"web": {"image": IMAGE_V1, "volumes": [":::"]}}},
    ):
        r = client.post("/api/services", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] and r.json()["details"]
    r = client.post("/api/services", content="services: [unclosed", headers={"content-type": "application/yaml"})
    assert r.status_code == 422 and "YAML" in r.json()["details"]
    assert not (core.settings.stacks_dir / name).exists()
    assert [p.name for p in core.settings.stacks_dir.iterdir()] == []
    assert db_rows(core, "docker_service_configs") == []
    assert containers_of(name) == []


def test_invalid_update_changes_nothing(client, core, unique_name):
    name = unique_name("keep")
    view = client.post("/api/services", json=web(name)).json()
    before = core.stacks.read(name)
    ids = [c["Id"] for c in containers_of(name)]
    r = client.put(f"/api/services/{view['id']}", json=web(name, ports=["99999:80"]))
    assert r.status_code == 422
    assert core.stacks.read(name) == before
    assert [c["Id"] for c in containers_of(name)] == ids
    (row,) = db_rows(core, "docker_service_configs")
    assert row.compose_text == before


def test_failed_apply_restores_the_previous_file_and_containers(client, core, unique_name):
    name = unique_name("roll")
    view = client.post("/api/services", json=web(name)).json()
    before = core.stacks.read(name)
    r = client.put(f"/api/services/{view['id']}", json=web(name, image="127.0.0.1:5000/sdmd-test/missing:1"))
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "The image 127.0.0.1:5000/sdmd-test/missing:1 was not found in its registry"
    assert core.stacks.read(name) == before
    (row,) = db_rows(core, "docker_service_configs")
    assert row.compose_text == before
    now = client.get(f"/api/services/{view['id']}").json()
    assert now["status"] == "running" and now["containers"][0]["image"] == IMAGE_V1


def test_failed_create_leaves_nothing_behind(client, core, unique_name):
    name = unique_name("nope")
    r = client.post("/api/services", json={"name": name, "image": "127.0.0.1:5000/sdmd-test/missing:1"})
    assert r.status_code == 422
    assert not (core.settings.stacks_dir / name).exists()
    assert db_rows(core, "docker_service_configs") == []
    assert containers_of(name) == []


def test_name_taken_is_409(client, unique_name):
    name = unique_name()
    assert client.post("/api/services", json=web(name)).status_code == 201
    r = client.post("/api/services", json=web(name))
    assert r.status_code == 409 and r.json()["error"] == "service name taken"


def test_restart_restarts_every_container(client, unique_name):
    name = unique_name("rs")
    view = client.post("/api/services", json={"name": name, "services": {
        "a": {"image": IMAGE_V1, **SLEEPER}, "b": {"image": IMAGE_V1, **SLEEPER}}}).json()
    started = {c["Id"]: inspect(c["Id"])["State"]["StartedAt"] for c in containers_of(name)}
    r = client.post(f"/api/services/{view['id']}/restart")
    assert r.status_code == 200 and r.json()["status"] == "running"
    after = {c["Id"]: inspect(c["Id"])["State"]["StartedAt"] for c in containers_of(name)}
    assert after.keys() == started.keys()
    assert all(after[k] > started[k] for k in started)


def test_delete_keeps_named_volumes_unless_asked(client, core, unique_name):
    api = docker_api()
    for remove_volumes in (False, True):
        name = unique_name("del")
        view = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER,
                                                  "volumes": ["keep:/keep"]}).json()
        url = f"/api/services/{view['id']}" + ("?volumes=true" if remove_volumes else "")
        r = client.delete(url)
        assert r.status_code == 200, r.text
        assert containers_of(name) == []
        assert not (core.settings.stacks_dir / name).exists()
        assert client.get(f"/api/services/{view['id']}").status_code == 404
        volumes = [v["Name"] for v in api.volumes()["Volumes"] or []]
        assert (f"{name}_keep" in volumes) is (not remove_volumes)
    assert db_rows(core, "docker_service_configs") == []
    api.close()


def test_logs_merge_containers_by_time_and_respect_tail(client, unique_name):
    name = unique_name("logs")
    # $$ because compose interpolates $VAR in the file
    script = "for i in 1 2 3 4 5; do echo {who}-$$i; sleep 0.05; done; sleep 3600"
    view = client.post("/api/services", json={"name": name, "services": {
        "a": {"image": IMAGE_V1, "init": True, "command": ["sh", "-c", script.format(who="a")]},
        "b": {"image": IMAGE_V1, "init": True, "command": ["sh", "-c", script.format(who="b")]},
    }}).json()
    sid = view["id"]
    wait_until(lambda: client.get(f"/api/services/{sid}/logs").text.count("-5") == 2, what="all lines")
    r = client.get(f"/api/services/{sid}/logs", params={"tail": 100}, headers={"accept": "application/json"})
    lines = r.json()
    assert len(lines) == 10
    assert [entry["timestamp"] for entry in lines] == sorted(entry["timestamp"] for entry in lines)
    assert {entry["service"] for entry in lines} == {"a", "b"}
    tail = client.get(f"/api/services/{sid}/logs", params={"tail": 3}, headers={"accept": "application/json"}).json()
    assert [t["message"] for t in tail] == [entry["message"] for entry in lines[-3:]]
    text = client.get(f"/api/services/{sid}/logs", params={"tail": 2})
    assert text.headers["content-type"].startswith("text/plain")
    assert len(text.text.splitlines()) == 2 and " | " in text.text
    for bad in (0, 10001, "x"):
        assert client.get(f"/api/services/{sid}/logs", params={"tail": bad}).status_code == 422


def test_hand_made_compose_project_is_listed_unmanaged_and_read_only(client, tmp_path, unique_name):
    name = unique_name("hand")
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  job:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n")
    subprocess.run(["docker", "compose", "-p", name, "-f", str(tmp_path / "compose.yaml"), "up", "-d"],
                   check=True, capture_output=True)
    listed = {s["name"]: s for s in client.get("/api/services").json()}
    assert listed[name]["managed"] is False and listed[name]["status"] == "running"
    sid = listed[name]["id"]
    assert client.get(f"/api/services/{sid}").json()["containers"][0]["service"] == "job"
    assert client.post(f"/api/services/{sid}/restart").status_code == 409
    assert client.delete(f"/api/services/{sid}").status_code == 409
    assert client.put(f"/api/services/{sid}", json={"image": IMAGE_V1}).status_code == 409
    assert client.post("/api/services", json=web(name)).status_code == 409
    health = {s["name"]: s for s in client.get("/api/health/status").json()["services"]}
    assert health[name] == {"id": sid, "name": name, "status": "running", "host": "local"}


def test_status_reports_partial_and_stopped(client, unique_name):
    name = unique_name("st")
    view = client.post("/api/services", json={"name": name, "services": {
        "a": {"image": IMAGE_V1, **SLEEPER}, "b": {"image": IMAGE_V1, **SLEEPER}}}).json()
    api = docker_api()
    first, second = containers_of(name)
    api.stop(first["Id"], timeout=1)
    assert client.get(f"/api/services/{view['id']}").json()["status"] == "partial"
    api.stop(second["Id"], timeout=1)
    health = {s["id"]: s["status"] for s in client.get("/api/health/status").json()["services"]}
    assert health[view["id"]] == "stopped"
    api.close()


@pytest.mark.parametrize("path", ["/api/services/svc_nope", "/api/services/svc_nope/logs"])
def test_unknown_service_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.json() == {"error": "service not found", "details": "No service with ID svc_nope exists"}
