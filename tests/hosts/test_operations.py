"""The newer operations on a remote host: dry runs, PATCH (a patch of x-sdmd.host is a move), the .env
editor, history restore and the images of a host; each goes to the service's host."""

from __future__ import annotations

import pytest

from sdmd.services.placement import host_of_text
from tests.hosts.support import add_tls_host, remote_containers, service_body
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import IMAGE_V1

pytestmark = pytest.mark.xdist_group("remote_hosts")

PATCH = {"Content-Type": "application/merge-patch+json"}


def _env(remote, name: str) -> dict[str, str]:
    [container] = remote_containers(remote, name)
    api = remote.api()
    try:
        pairs = api.inspect_container(container["Id"])["Config"]["Env"]
    finally:
        api.close()
    return dict(p.split("=", 1) for p in pairs)


def test_dry_run_patch_env_restore_and_images_go_to_the_services_host(client, core, tls_host, unique_name):
    add_tls_host(client, tls_host, "far")
    name = unique_name("ops")
    dry = client.post("/api/services?dry_run=true", json=service_body(name, "far"))
    assert dry.status_code == 200, dry.text
    assert dry.json()["host"] == "far" and dry.json()["compose"].startswith("x-sdmd:\n  host: far\n")
    assert not core.stacks.exists(name) and remote_containers(tls_host, name) == []
    nowhere = client.post("/api/services?dry_run=true", json=service_body(name, "atlantis"))
    assert nowhere.status_code == 422 and nowhere.json()["error"] == "unknown host"

    sid = client.post("/api/services", json=service_body(name, "far")).json()["id"]
    patched = client.patch(f"/api/services/{sid}", headers=PATCH,
                           json={"services": {name: {"environment": {"MODE": "${MODE:-patched}"}}}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["host"] == "far" and _env(tls_host, name)["MODE"] == "patched"

    # A patch of x-sdmd.host is a move: the dry run says what stays behind, saving it needs confirmation.
    move = client.patch(f"/api/services/{sid}?dry_run=true", headers=PATCH, json={"x-sdmd": {"host": None}})
    assert move.status_code == 200, move.text
    assert move.json()["host"] == "local" and move.json()["move"]["from_host"] == "far"
    assert host_of_text(move.json()["compose"]) == "local" and not core.stacks.read(name).startswith("x-sdmd: {}")
    refused = client.patch(f"/api/services/{sid}", headers=PATCH, json={"x-sdmd": {"host": None}})
    assert refused.status_code == 409 and refused.json()["error"] == "moving a service needs confirmation"
    assert len(remote_containers(tls_host, name)) == 1

    # The .env is applied where the service runs.
    saved = client.put(f"/api/services/{sid}/env", json={"content": "MODE=from-env\n"})
    assert saved.status_code == 200, saved.text
    assert _env(tls_host, name)["MODE"] == "from-env"

    # Restoring the first version (no MODE at all) applies it over there too.
    first = client.get(f"/api/services/{sid}/history").json()[-1]["commit"]
    restored = client.post(f"/api/services/{sid}/history/{first}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["host"] == "far" and "MODE" not in _env(tls_host, name)

    # The host's images: who uses them and which files name them, that host's services only.
    far = client.get("/api/images", params={"host": "far"}).json()
    assert far["host"] == "far"
    [image] = [i for i in far["images"] if IMAGE_V1 in i["tags"]]
    assert [(u["service_id"], u["managed"]) for u in image["containers"]] == [(sid, True)]
    assert [s["id"] for s in image["named_in"]] == [sid]
    local = client.get("/api/images", params={"host": "local"}).json()
    mine = [i for i in local["images"] if IMAGE_V1 in i["tags"]]
    assert all(sid not in [s["id"] for s in i["named_in"]] for i in mine)  # it runs on far, not here
    preview = client.post("/api/images/prune", params={"host": "far"}, json={"mode": "unused", "dry_run": True})
    assert preview.status_code == 200 and preview.json()["host"] == "far"
    assert image["id"] not in [i["id"] for i in preview.json()["images"]]  # in use over there
