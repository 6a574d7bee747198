"""Services on remote hosts: every operation goes to the service's host; git (x-sdmd.host) says which."""

from __future__ import annotations

import subprocess

import pytest

from sdmd.services.placement import host_of_text
from tests.hosts.support import (
    add_ssh_host,
    add_tls_host,
    listed,
    remote_compose,
    remote_containers,
    service_body,
)
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, docker_api, wait_until

pytestmark = pytest.mark.xdist_group("remote_hosts")

TALKER = {"command": ["sh", "-c", "echo hello from $$HOSTNAME; sleep 3600"], "init": True}


def _local_containers(project: str) -> list[dict]:
    api = docker_api()
    try:
        return api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})
    finally:
        api.close()


@pytest.mark.parametrize("transport", ["tls", "ssh"])
def test_create_update_logs_restart_delete_on_a_remote_host(client, core, tls_host, ssh_host, unique_name,
                                                            transport):
    remote = tls_host if transport == "tls" else ssh_host
    (add_tls_host if transport == "tls" else add_ssh_host)(client, remote, "far")
    name = unique_name(transport)

    r = client.post("/api/services", json=service_body(name, "far", **TALKER))
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["host"], view["host_state"], view["status"]) == ("far", "connected", "running")
    assert host_of_text(core.stacks.read(name) or "") == "far"
    [made] = remote_containers(remote, name)
    assert made["State"] == "running" and _local_containers(name) == []

    # A JSON update that says nothing about the host keeps it (no move).
    r = client.put(f"/api/services/{view['id']}", json={"image": IMAGE_V2, **TALKER})
    assert r.status_code == 200, r.text
    assert r.json()["host"] == "far" and r.json()["containers"][0]["image"] == IMAGE_V2, r.json()
    [updated] = remote_containers(remote, name)
    assert updated["Image"] == IMAGE_V2 and updated["Id"] != made["Id"]

    lines = wait_until(lambda: client.get(f"/api/services/{view['id']}/logs",
                                          headers={"Accept": "application/json"}).json(), timeout=10,
                       what="log lines from the remote container")
    assert any(line["message"].startswith("hello from") for line in lines)

    api = remote.api()
    try:
        started = api.inspect_container(updated["Id"])["State"]["StartedAt"]
        assert client.post(f"/api/services/{view['id']}/restart").status_code == 200
        assert api.inspect_container(updated["Id"])["State"]["StartedAt"] != started
    finally:
        api.close()
    assert listed(client, name)["status"] == "running"

    assert client.delete(f"/api/services/{view['id']}").status_code == 200
    assert remote_containers(remote, name) == []
    assert not core.stacks.exists(name)


def test_the_list_covers_every_host_and_filters_by_host(client, tls_host, ssh_host, unique_name, tmp_path):
    add_tls_host(client, tls_host, "tls1")
    add_ssh_host(client, ssh_host, "ssh1")
    names = {host: unique_name(host) for host in ("local", "tls1", "ssh1")}
    for host, name in names.items():
        assert client.post("/api/services", json=service_body(name, host)).status_code == 201
    # A project someone started by hand on a remote host: listed, unmanaged, with its host.
    hand = unique_name("hand")
    (tmp_path / "compose.yaml").write_text(f"services:\n  job:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n"
                                           "    init: true\n")
    remote_compose(tls_host, hand, tmp_path, "up", "-d")

    everything = {s["name"]: s for s in client.get("/api/services").json()}
    for host, name in names.items():
        assert (everything[name]["host"], everything[name]["status"]) == (host, "running")
    assert everything[hand]["managed"] is False and everything[hand]["host"] == "tls1"
    assert everything[hand]["id"] == f"ext_tls1.{hand}"
    assert client.get(f"/api/services/ext_tls1.{hand}").json()["containers"][0]["service"] == "job"

    only = client.get("/api/services?host=ssh1").json()
    assert {s["host"] for s in only} == {"ssh1"} and names["ssh1"] in {s["name"] for s in only}
    assert client.get("/api/services?host=nope").status_code == 404

    health = client.get("/api/health/status").json()
    by_name = {s["name"]: s for s in health["services"]}
    assert {by_name[n]["host"] for n in names.values()} == {"local", "tls1", "ssh1"}
    assert {h["name"]: h["state"] for h in health["hosts"]} == {"local": "connected", "tls1": "connected",
                                                               "ssh1": "connected"}


def test_names_are_unique_across_hosts_and_hosts_must_exist(client, tls_host, unique_name):
    add_tls_host(client, tls_host, "other")
    name = unique_name("one")
    assert client.post("/api/services", json=service_body(name, "local")).status_code == 201
    taken = client.post("/api/services", json=service_body(name, "other"))
    assert taken.status_code == 409 and taken.json()["error"] == "service name taken"
    nowhere = client.post("/api/services", json=service_body(unique_name("x"), "nowhere"))
    assert nowhere.status_code == 422 and nowhere.json()["error"] == "unknown host"
    yaml = f"services:\n  app:\n    image: {IMAGE_V1}\nx-sdmd:\n  host: nowhere\n"
    r = client.post(f"/api/services?name={unique_name('y')}", content=yaml,
                    headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422 and r.json()["error"] == "unknown host"


def test_moving_a_service_needs_confirmation_and_leaves_named_volumes_behind(client, core, tls_host, unique_name):
    add_tls_host(client, tls_host, "target")
    name = unique_name("mv")
    body = {"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER, "volumes": ["data:/data"]}}}
    view = client.post("/api/services", json=body).json()
    [before] = _local_containers(name)

    plan = client.post(f"/api/services/{view['id']}/move", json={"host": "target", "dry_run": True})
    assert plan.status_code == 200, plan.text
    assert plan.json()["volumes"] == [f"{name}_data"] and plan.json()["to_host"] == "target"
    refused = client.put(f"/api/services/{view['id']}", json={**body, "host": "target"})
    assert refused.status_code == 409 and f"{name}_data" in refused.json()["details"]
    refused = client.post(f"/api/services/{view['id']}/move", json={"host": "target"})
    assert refused.status_code == 409
    assert [c["Id"] for c in _local_containers(name)] == [before["Id"]]  # nothing happened
    assert host_of_text(core.stacks.read(name) or "") == "local"

    moved = client.post(f"/api/services/{view['id']}/move", json={"host": "target", "confirm": True})
    assert moved.status_code == 200, moved.text
    assert moved.json()["host"] == "target" and moved.json()["status"] == "running"
    assert _local_containers(name) == []
    assert [c["State"] for c in remote_containers(tls_host, name)] == ["running"]
    text = core.stacks.read(name) or ""
    assert host_of_text(text) == "target" and "data:/data" in text
    api = docker_api()
    try:
        assert api.inspect_volume(f"{name}_data")["Name"] == f"{name}_data"  # stayed on local, not removed
    finally:
        api.remove_volume(f"{name}_data", force=True)
        api.close()
    log = subprocess.run(["git", "-C", str(core.settings.stacks_dir), "log", "-1", "--format=%B", "--", name],
                         capture_output=True, text=True, check=True).stdout
    assert "sdmd-action: service.move" in log and log.startswith(f"Move service {name} from host local to target")

    # Back with PUT (a JSON `host`), confirmed in the query.
    back = client.put(f"/api/services/{view['id']}?confirm_move=true", json={**body, "host": "local"})
    assert back.status_code == 200, back.text
    assert remote_containers(tls_host, name) == [] and len(_local_containers(name)) == 1

    # Restoring the version that named `target` is a move as well: it needs the same confirmation.
    moved_at = client.get(f"/api/services/{view['id']}/history").json()[1]["commit"]
    again = client.post(f"/api/services/{view['id']}/history/{moved_at}/restore")
    assert again.status_code == 409 and again.json()["error"] == "moving a service needs confirmation"
    assert f"{name}_data" in again.json()["details"] and remote_containers(tls_host, name) == []


def test_a_hand_made_folder_naming_a_remote_host_is_reconciled_onto_it(client, core, ssh_host, unique_name):
    add_ssh_host(client, ssh_host, "edge")
    name = unique_name("git")
    folder = core.settings.stacks_dir / name
    folder.mkdir(parents=True)
    (folder / "compose.yaml").write_text(
        "# added by hand\nx-sdmd:\n  host: edge\nservices:\n  app:\n"
        f"    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n")
    report = client.post("/api/gitops/reconcile").json()
    assert {"name": name, "action": "created"}.items() <= next(s for s in report["stacks"] if s["name"] == name).items()
    assert [c["State"] for c in remote_containers(ssh_host, name)] == ["running"]
    assert _local_containers(name) == []
    view = listed(client, name)
    assert (view["managed"], view["host"], view["status"]) == (True, "edge", "running")
    assert view["drift"]["drifted"] is False

    # A hand edit that names another host moves it: git is the truth (no confirmation asked).
    text = (folder / "compose.yaml").read_text().replace("host: edge", "host: local")
    (folder / "compose.yaml").write_text(text)
    report = client.post("/api/gitops/reconcile").json()
    assert next(s for s in report["stacks"] if s["name"] == name)["action"] == "applied", report
    assert remote_containers(ssh_host, name) == [] and len(_local_containers(name)) == 1
    assert listed(client, name)["host"] == "local"

    # A folder naming a host that does not exist is an error once, and is not applied anywhere.
    bad = unique_name("bad")
    (core.settings.stacks_dir / bad).mkdir()
    (core.settings.stacks_dir / bad / "compose.yaml").write_text(
        f"x-sdmd: {{host: atlantis}}\nservices:\n  app:\n    image: {IMAGE_V1}\n")
    report = client.post("/api/gitops/reconcile").json()
    outcome = next(s for s in report["stacks"] if s["name"] == bad)
    assert outcome["action"] == "invalid" and "atlantis" in outcome["detail"]
    assert _local_containers(bad) == []


def test_adopt_and_pull_on_a_remote_host(client, ssh_host, unique_name):
    add_ssh_host(client, ssh_host, "edge")
    pulled = client.post("/api/images/pull", json={"image": IMAGE_V2, "host": "edge"})
    assert pulled.status_code == 200, pulled.text
    api = ssh_host.api()
    try:
        assert api.inspect_image(IMAGE_V2)["Id"] == pulled.json()["image_id"]
    finally:
        api.close()
    # A project started by hand over there: its compose file is read over ssh; no container is recreated.
    name = unique_name("adopt")
    remote_dir = ssh_host.root / "projects" / name
    remote_dir.mkdir(parents=True)
    (remote_dir / "compose.yaml").write_text(f"services:\n  job:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n"
                                             "    init: true\n")
    remote_compose(ssh_host, name, remote_dir, "-f", str(remote_dir / "compose.yaml"), "up", "-d")
    [before] = remote_containers(ssh_host, name)
    wait_until(lambda: any(s["name"] == name for s in client.get("/api/services").json()), timeout=5,
               what="the hand-made project listed")
    adopted = client.post("/api/services/adopt", json={"project": name, "host": "edge"})
    assert adopted.status_code == 201, adopted.text
    assert adopted.json()["host"] == "edge" and adopted.json()["managed"] is True
    assert [c["Id"] for c in remote_containers(ssh_host, name)] == [before["Id"]]
