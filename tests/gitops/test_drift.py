"""Drift: the file vs the database mirror vs the containers Docker actually runs."""

from __future__ import annotations

import time
from pathlib import Path

from sdmd.docker import DockerGateway
from sdmd.services import service
from tests.gitops.helpers import containers
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, compose, docker_api


def _two_containers(client, name: str) -> str:
    r = client.post("/api/services", json={"name": name, "services": {
        "web": {"image": IMAGE_V1, **SLEEPER}, "worker": {"image": IMAGE_V1, **SLEEPER}}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _listed(client, name: str) -> dict:
    return next(s for s in client.get("/api/services").json() if s["name"] == name)


def test_drift_after_docker_stop_of_one_container(client, core, unique_name):
    name = unique_name("drift")
    sid = _two_containers(client, name)
    assert _listed(client, name)["drift"] == {"drifted": False, "file": "in_sync", "compared_with": "file",
                                              "items": []}
    worker = next(c for c in containers(name).values() if c["Labels"]["com.docker.compose.service"] == "worker")
    api = docker_api()
    try:
        api.stop(worker["Id"], timeout=1)
    finally:
        api.close()

    listed = _listed(client, name)["drift"]
    assert listed["drifted"] is True
    assert [(i["kind"], i["service"]) for i in listed["items"]] == [("stopped", "worker")]
    report = client.get(f"/api/services/{sid}/drift").json()
    assert report["file"] == "in_sync"
    assert report["file_hash"] == report["mirror_hash"] == report["applied_hash"]
    assert [(i["kind"], i["service"], i["container"]) for i in report["items"]] == \
        [("stopped", "worker", worker["Names"][0].lstrip("/"))]


def test_drift_after_a_hand_compose_up_with_a_changed_file(client, core, unique_name, tmp_path: Path):
    name = unique_name("drift")
    sid = _two_containers(client, name)
    # Someone runs compose by hand for the same project with another definition.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "compose.yaml").write_text(
        "services:\n"
        f"  web:\n    image: {IMAGE_V2}\n    command: [sleep, '3600']\n    init: true\n"
        f"  worker:\n    image: {IMAGE_V1}\n    command: [sleep, '3601']\n    init: true\n"
        f"  extra:\n    image: {IMAGE_V1}\n    command: [sleep, '3600']\n    init: true\n")
    compose(name, str(elsewhere), "up", "-d", "--quiet-pull")

    report = client.get(f"/api/services/{sid}/drift").json()
    kinds = sorted((i["kind"], i["service"]) for i in report["items"])
    assert kinds == [("config", "web"), ("config", "worker"), ("extra", "extra"), ("image", "web")]
    assert report["file"] == "in_sync"  # the file itself did not change: the containers did
    assert _listed(client, name)["drift"]["items"] == report["items"]

    # Applying the file puts things back.
    r = client.post(f"/api/services/{sid}/apply")
    assert r.status_code == 200, r.text
    assert r.json()["drift"]["drifted"] is False


class CountingGateway(DockerGateway):
    """The real gateway, counting what the list path asks of Docker."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.calls[what] = self.calls.get(what, 0) + 1

    def compose_containers(self, project=None, timeout=None):
        self._count("containers")
        return super().compose_containers(project, timeout=timeout)

    def inspect_container(self, container_id):
        self._count("inspect")
        return super().inspect_container(container_id)

    def _run_compose(self, what, project, fn, error=None):
        self._count("compose")
        return super()._run_compose(what, project, fn, **({"error": error} if error else {}))


def test_listing_asks_docker_nothing_with_the_live_model_and_once_without(client, core, unique_name):
    names = [unique_name("many") for _ in range(3)]
    for name in names:
        client.post("/api/services", json={"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}})
    counting = CountingGateway(core.docker.endpoint, timeout=core.docker.timeout)
    core.hosts._gateways["local"] = (0, counting, None)
    assert core.live is not None  # the app's lifespan started it
    listed = service.list_services(core)
    assert counting.calls == {}  # answered from memory
    assert {s["name"] for s in listed} >= set(names)

    live, core.live = core.live, None  # a process without a model (the worker, `sdmd reconcile`)
    try:
        started = time.perf_counter()
        listed = service.list_services(core)
        elapsed = time.perf_counter() - started
    finally:
        core.live = live
    assert counting.calls == {"containers": 1}
    assert {s["name"] for s in listed} >= set(names)
    assert all(s["drift"] is not None and s["drift"]["compared_with"] == "file" for s in listed if s["managed"])
    assert elapsed < 2.0, f"listing took {elapsed:.3f}s"


def _stored_hashes(core, name: str) -> dict:
    from sdmd.gitops import repository as gitops_rows

    with core.db.sessions() as session:
        row = gitops_rows.get(session, name)
        return {"for": row.hashes_for, "hashes": row.service_hashes}


def _hashes_by_compose(core, name: str) -> dict:
    """compose's own answer for the file on disk, computed the slow way (no cache, no labels)."""
    return core.docker.compose_config_hashes(core.stacks.project(name))


def test_create_takes_the_config_hashes_from_the_containers_up_made(client, core, unique_name):
    name = unique_name("hashes")
    counting = CountingGateway(core.docker.endpoint, timeout=core.docker.timeout)
    core.hosts._gateways["local"] = (0, counting, None)
    r = client.post("/api/services", json={"name": name, "services": {
        "web": {"image": IMAGE_V1, **SLEEPER, "environment": {"A": "1"}},
        "worker": {"image": IMAGE_V2, **SLEEPER, "depends_on": ["web"]}}})
    assert r.status_code == 201, r.text
    assert counting.calls.get("compose") == 2  # `config` (validation) and `up`: no compose call for the hashes
    stored = _stored_hashes(core, name)
    assert stored["for"] == r.json()["file_hash"]
    assert stored["hashes"] == _hashes_by_compose(core, name)  # what compose itself says, exactly
    assert set(stored["hashes"]) == {"web", "worker"}
    assert r.json()["drift"]["compared_with"] == "file" and r.json()["drift"]["items"] == []


def test_a_service_without_containers_gets_its_hash_from_compose(client, core, unique_name):
    name = unique_name("hashes")
    counting = CountingGateway(core.docker.endpoint, timeout=core.docker.timeout)
    core.hosts._gateways["local"] = (0, counting, None)
    r = client.post("/api/services", json={"name": name, "services": {
        "web": {"image": IMAGE_V1, **SLEEPER}, "spare": {"image": IMAGE_V1, **SLEEPER, "scale": 0}}})
    assert r.status_code == 201, r.text
    assert counting.calls.get("compose") == 3  # up made no container for `spare`: `config --hash` says
    stored = _stored_hashes(core, name)
    assert set(stored["hashes"]) == {"web", "spare"}
    assert stored["hashes"] == _hashes_by_compose(core, name)
