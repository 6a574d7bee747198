"""Private registries: credentials stored encrypted, never returned or logged, sent per call for digest
checks, tag lists and pulls, with no `docker login` on the host; a wrong password names the registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from sdmd.audit.models import AuditEntry
from sdmd.docker.registry import RegistryAuth
from sdmd.registries.models import RegistryCredential
from tests.updates.private_registry import PrivateRegistry, private_registry_fixture
from tests.updates.support import TaggedRepo, docker
from tests.updates.test_check import compose_text, create, local_state, run

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


@pytest.fixture
def private() -> Iterator[PrivateRegistry]:
    yield from private_registry_fixture()


@pytest.fixture
def private_repo(private: PrivateRegistry, name_prefix: str) -> Iterator[TaggedRepo]:
    repo = TaggedRepo(f"{name_prefix}-priv".lower(), registry=private.host, docker_config=private.docker_config)
    repo.registry_auth = RegistryAuth(server=private.host, username=private.username, secret=private.password)
    yield repo
    from tests.support import remove_projects

    remove_projects(name_prefix)
    repo.cleanup(verify=str(private.ca_file), auth=(private.username, private.password))


def test_private_registry_credentials(client, core, unique_name, private, private_repo, processes):
    repo = private_repo
    for tag in ("1.0.0", "1.1.0"):
        repo.build(tag)
    repo.forget("1.1.0")
    old_latest = repo.build("latest")
    text = compose_text({"app": {"image": repo.ref("1.0.0"), "x-sdmd": {"update": "minor"}},
                         "web": {"image": repo.ref("latest")}})
    svc = create(client, unique_name("priv"), text)
    processes.worker()

    anonymous = run(client, svc["id"], "check")
    assert anonymous["result"] == "error"
    assert f"{private.host} refused anonymous access" in anonymous["reason"]

    wrong = client.post("/api/registries", json={"server": f"https://{private.host}/", "username": private.username,
                                                 "password": "not-the-password"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["error"] == "registry refused the credentials"
    assert private.host in wrong.json()["details"] and private.username in wrong.json()["details"]
    assert client.get("/api/registries").json() == []  # nothing stored

    assert client.post("/api/registries", json={"server": private.host, "username": "u"}).status_code == 422
    r = client.post("/api/registries", json={"server": f"https://{private.host}/v2/", "username": private.username,
                                             "password": private.password})
    assert r.status_code == 201, r.text
    stored = r.json()
    assert stored["server"] == private.host and stored["secret_kind"] == "password"
    assert client.post("/api/registries", json={"server": private.host, "username": private.username,
                                                "password": private.password}).status_code == 409
    listing = client.get("/api/registries")
    assert private.password not in listing.text and private.password not in r.text
    assert client.get(f"/api/registries/{private.host}").json()["id"] == stored["id"]
    with core.db.sessions() as session:
        row = session.scalar(select(RegistryCredential))
        assert private.password not in row.secret and core.secrets.decrypt(row.secret) == private.password
        audits = list(session.scalars(select(AuditEntry).where(AuditEntry.action.like("registry.%"))))
    assert [a.outcome for a in audits] == ["error", "ok", "error"]
    assert all(private.password not in str(a.details) for a in audits)

    # Upstream rebuilds :latest; this host keeps running the old one.
    new_latest = repo.build("latest")
    docker("tag", old_latest, repo.ref("latest"))
    docker("rmi", new_latest)
    before = local_state(repo)
    checked = run(client, svc["id"], "check")
    assert checked["result"] == "update_available", checked
    found = {c["service"]: c for c in checked["checks"]}
    assert found["app"]["candidate_tag"] == "1.1.0"  # the tag list came through the login
    assert (found["web"]["candidate_tag"], found["web"]["new_id"]) == ("latest", new_latest)
    assert local_state(repo) == before
    preview = client.get(f"/api/services/{svc['id']}/updates").json()
    assert {v["services"][0]: v["candidate"]["version"] for v in preview["images"]} == {"app": "1.1.0",
                                                                                        "web": "latest"}

    # A pull with X-Registry-Auth: change the policy to digest so only :latest moves (no tag bump here).
    plain = compose_text({"app": {"image": repo.ref("1.0.0")}, "web": {"image": repo.ref("latest")}})
    r = client.put(f"/api/services/{svc['id']}", content=plain, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    updated = run(client, svc["id"], "update")
    assert updated["result"] == "updated", updated
    images = {c["service"]: c["image_id"] for c in client.get(f"/api/services/{svc['id']}").json()["containers"]}
    assert images["web"] == new_latest and images["app"] == repo.ids["1.0.0"]

    # The password changes at the registry's end: checks name the registry and the user.
    r = client.put(f"/api/registries/{stored['id']}", json={"username": private.username, "token": "stale",
                                                           "verify": False})
    assert r.status_code == 200 and r.json()["secret_kind"] == "token"
    refused = run(client, svc["id"], "check")
    assert refused["result"] == "error"
    assert f"{private.host} refused user {private.username}" in refused["reason"], refused["reason"]
    assert private.password not in processes.logs() and "stale" not in processes.logs()

    assert client.delete(f"/api/registries/{stored['id']}").status_code == 200
    assert client.get("/api/registries").json() == []
