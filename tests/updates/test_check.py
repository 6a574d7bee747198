"""Checks that ask the registry and pull nothing: every policy, a new build under the same tag, and
images built locally. Real registry (127.0.0.1:5000), real Docker, real `sdmd worker`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from sdmd.registries.client import RegistryClient
from tests.support import REGISTRY, docker_api
from tests.updates.support import MANIFEST_TYPES, TaggedRepo, docker

pytestmark = [pytest.mark.slow, pytest.mark.one_database]

POLICIES = {  # compose service: (x-sdmd, the candidate among TAGS for a service on 1.0.0)
    "dig": ({"update": "digest"}, None),
    "pat": ({"update": "patch"}, "1.0.1"),
    "min": ({"update": "minor"}, "1.1.0"),
    "maj": ({"update": "major"}, "2.0.0"),
    "rex": ({"update": "regex", "include": "-alpine$"}, "2.0.0-alpine"),
    "pre": ({"update": "minor", "prerelease": True, "exclude": r"^1\.1\.0$"}, "1.1.0-rc1"),
    "off": ({"update": "off"}, None),
}


def compose_text(services: dict[str, dict]) -> str:
    lines = ["services:"]
    for name, spec in services.items():
        lines += [f"  {name}:", f"    image: {spec['image']}  # pinned by hand",
                  "    command: [sleep, '3600']", "    init: true"]
        if spec.get("x-sdmd"):
            lines.append("    x-sdmd:")
            for key, value in spec["x-sdmd"].items():
                rendered = "true" if value is True else "false" if value is False else f"'{value}'"
                lines.append(f"      {key}: {rendered}")
    return "\n".join(lines) + "\n"


def create(client, name: str, text: str) -> dict:
    r = client.post(f"/api/services?name={name}", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    return r.json()


def run(client, service_id: str, mode: str) -> dict:
    r = client.post(f"/api/services/{service_id}/update?mode={mode}")
    assert r.status_code == 200, r.text
    return r.json()["run"]


def local_state(repo: TaggedRepo) -> tuple[set[str], set[str]]:
    """What this test's repository has on the engine: the image ids that carry its name or are its builds,
    and which of its builds' layers are in the engine's layer store. A pull changes one or both; other
    tests running beside this one do not."""
    api = docker_api()
    try:
        info = api.info()
        images = {i["Id"] for i in api.images(all=True)
                  if i["Id"] in repo.ids.values()
                  or any(n.startswith((f"{repo.repository}:", f"{repo.repository}@"))
                         for n in [*(i.get("RepoTags") or []), *(i.get("RepoDigests") or [])])}
    finally:
        api.close()
    layerdb = Path(info["DockerRootDir"]) / "image" / info["Driver"] / "layerdb" / "sha256"
    # One-layer images: the layer's chain id is its diff id, which the registry's image config names.
    client, auth = RegistryClient(), repo.registry_auth
    diff_ids = set()
    for image_id in repo.ids.values():
        config = client.image_config(repo.registry, repo.repository, image_id, auth)
        diff_ids.update(d.split(":", 1)[1] for d in config["rootfs"]["diff_ids"])
    assert diff_ids
    return images, {d for d in diff_ids if (layerdb / d).exists()}


def registry_digest(repo: TaggedRepo, tag: str) -> str:
    r = httpx.head(f"http://{REGISTRY}/v2/sdmd-test/{repo.name}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES})
    return r.headers["Docker-Content-Digest"]


def test_each_policy_finds_its_candidate_and_a_check_downloads_nothing(client, unique_name, tagged, processes):
    repo = tagged("pol").build_all()
    for tag in repo.ids:
        if tag != "1.0.0":
            repo.forget(tag)  # only the registry has them
    text = compose_text({svc: {"image": repo.ref("1.0.0"), "x-sdmd": sdmd} for svc, (sdmd, _) in POLICIES.items()})
    svc = create(client, unique_name("pol"), text)
    processes.worker()
    before = local_state(repo)
    assert len(before[1]) == 1  # the layer of 1.0.0 only

    checked = run(client, svc["id"], "check")
    assert checked["result"] == "update_available", checked
    by_policy = {c["service"]: c for c in checked["checks"]}
    for name, (_, candidate) in POLICIES.items():
        found = by_policy[name]
        assert found["candidate_tag"] == candidate, (name, found)
        assert found["status"] == ("off" if name == "off" else "update_available" if candidate else "up_to_date")
        if candidate:
            assert found["candidate_digest"] == registry_digest(repo, candidate)
            assert found["new_id"] == repo.ids[candidate]  # the image id, from the registry's manifest
    assert "1.0.0 → 1.1.0" in checked["reason"]

    r = client.get(f"/api/services/{svc['id']}/updates")
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["update_available"] is True
    views = {v["services"][0]: v for v in preview["images"]}
    minor = views["min"]
    assert minor["policy"] == {"update": "minor", "include": None, "exclude": None, "prerelease": False}
    assert (minor["status"], minor["change"], minor["applicable"]) == ("update_available", "tag", True)
    assert minor["new_image"] == repo.ref("1.1.0")
    assert minor["current"]["tag"] == "1.0.0" and minor["current"]["digest"] == registry_digest(repo, "1.0.0")
    assert minor["current"]["image_id"] == repo.ids["1.0.0"] and minor["current"]["version"] == "1.0.0"
    cand = minor["candidate"]
    assert (cand["tag"], cand["digest"], cand["image_id"]) == ("1.1.0", registry_digest(repo, "1.1.0"),
                                                             repo.ids["1.1.0"])
    assert cand["version"] == "1.1.0" and cand["created"] and cand["source"] == "https://github.com/sdmd-test/app"
    assert cand["release_notes"] == "https://github.com/sdmd-test/app/releases/tag/1.1.0"
    assert minor["compare_url"] == (f"https://github.com/sdmd-test/app/compare/{minor['current']['revision']}..."
                                    f"{cand['revision']}")
    assert views["dig"]["status"] == "up_to_date" and views["dig"]["candidate"] is None

    assert local_state(repo) == before  # no image and no layer came down
    assert repo.local_tags() == {"1.0.0"}
    one = client.get(f"/api/services/{svc['id']}").json()
    assert one["update_available"] is True  # the detail view says so too, not only the list
    assert next(s for s in client.get("/api/services").json() if s["id"] == svc["id"])["update_available"] is True


def test_a_new_build_under_the_same_tag_is_found_without_pulling_then_pulled(client, unique_name, tagged, processes):
    repo = tagged("same")
    old = repo.build("latest")
    svc = create(client, unique_name("same"), compose_text({"app": {"image": repo.ref("latest")}}))
    processes.worker()
    assert run(client, svc["id"], "check")["result"] == "up_to_date"

    new = repo.build("latest")  # upstream pushes new content under the same tag
    docker("tag", old, repo.ref("latest"))  # ... and this host still has the old one
    docker("rmi", new)
    before = local_state(repo)
    checked = run(client, svc["id"], "check")
    assert checked["result"] == "update_available", checked
    [found] = checked["checks"]
    assert (found["candidate_tag"], found["candidate_digest"]) == ("latest", registry_digest(repo, "latest"))
    assert (found["old_id"], found["new_id"]) == (old, new)
    assert local_state(repo) == before

    applied = run(client, svc["id"], "update")
    assert applied["result"] == "updated", applied
    assert [c["image_id"] for c in client.get(f"/api/services/{svc['id']}").json()["containers"]] == [new]
    assert client.get(f"/api/services/{svc['id']}").json()["update_available"] is False


def test_an_image_built_locally_is_unknown_never_an_update(client, unique_name, tagged, processes):
    repo = tagged("local")
    repo.build("latest")  # the registry has a :latest...
    local = repo.build("latest", push=False)  # ...but this host runs one imported here: no RepoDigests
    only_here = repo.build("0.0.1-dev", push=False)  # and one the registry never saw
    text = compose_text({"a": {"image": repo.ref("latest")}, "b": {"image": repo.ref("0.0.1-dev")}})
    svc = create(client, unique_name("local"), text)
    processes.worker()
    for mode in ("check", "update"):
        result = run(client, svc["id"], mode)
        assert result["result"] == "unknown", result
        assert {c["status"] for c in result["checks"]} == {"unknown"}
    containers = client.get(f"/api/services/{svc['id']}").json()["containers"]
    assert sorted(c["image_id"] for c in containers) == sorted([local, only_here])  # nothing replaced
    assert client.get(f"/api/services/{svc['id']}").json()["update_available"] is False
    preview = client.get(f"/api/services/{svc['id']}/updates").json()
    assert {v["status"] for v in preview["images"]} == {"unknown"} and preview["update_available"] is False


def test_an_invalid_policy_is_refused_and_changes_nothing(client, unique_name, tagged):
    repo = tagged("bad")
    repo.build("1.0.0")
    name = unique_name("bad")
    text = compose_text({"app": {"image": repo.ref("1.0.0"), "x-sdmd": {"update": "newest"}}})
    r = client.post(f"/api/services?name={name}", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid x-sdmd update policy" and "services.app.x-sdmd.update" in r.json()["details"]
    assert client.get(f"/api/services/{name}").status_code == 404
