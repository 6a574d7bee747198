"""An update cycle on a remote host, run by a real `sdmd worker` (which has no live model: it lists directly)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmd.audit.models import AuditEntry
from sdmd.auth.identity import SCHEDULER
from sdmd.config import Settings
from sdmd.updates.cycle import run_update
from tests.hosts.support import add_tls_host, remote_containers, service_body
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.schedules.conftest import processes, redis, redis_socket, redis_url, upstream  # noqa: F401 (fixtures)
from tests.support import IMAGE_V1
from tests.updates.conftest import tagged  # noqa: F401 (fixture)
from tests.updates.test_check import compose_text, create

pytestmark = [pytest.mark.xdist_group("remote_hosts"), pytest.mark.slow]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:  # noqa: F811
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    redis_url=redis_url, gitops_watch=False, health_grace_seconds=1.0, health_timeout_seconds=20.0,
                    update_wait_seconds=90.0, host_timeout_seconds=3.0, host_ping_seconds=0.5)


def _image_ids(remote, name: str) -> list[tuple[str, str]]:
    return [(c["ImageID"], c["State"]) for c in remote_containers(remote, name)]


def test_an_update_with_rollback_on_a_remote_host(client, core, tls_host, unique_name, upstream, processes):  # noqa: F811
    add_tls_host(client, tls_host, "edge")
    repo = upstream("far")
    v1 = repo.publish(IMAGE_V1)  # the namespace's registry shares the main registry's storage
    name = unique_name("upd")
    r = client.post("/api/services", json=service_body(name, "edge", image=repo.ref, command=["sleep", "3600"],
                                                        init=True))
    assert r.status_code == 201, r.text
    svc = r.json()
    assert _image_ids(tls_host, name) == [(v1, "running")]
    processes.worker()

    bad = repo.publish(repo.build(IMAGE_V1, 'ENTRYPOINT ["false"]'))  # upstream breaks its image
    run = client.post(f"/api/services/{svc['id']}/update?mode=update").json()["run"]
    assert run["result"] == "rolled_back", run
    assert "exit code 1" in run["reason"]
    assert (run["images"][0]["old_id"], run["images"][0]["new_id"]) == (v1, bad)
    assert _image_ids(tls_host, name) == [(v1, "running")]  # the old image runs again, over there
    api = tls_host.api()
    try:
        assert api.inspect_image(repo.ref)["Id"] == v1  # the tag points back at it on that host
    finally:
        api.close()

    good = repo.publish(repo.build(IMAGE_V1, "ENV SDMD_TEST_VERSION=2"))
    run = client.post(f"/api/services/{svc['id']}/update?mode=update").json()["run"]
    assert run["result"] == "updated", run
    assert _image_ids(tls_host, name) == [(good, "running")]
    assert next(s for s in client.get("/api/services").json() if s["id"] == svc["id"])["status"] == "running"


def test_a_tag_bump_on_a_remote_host_asks_that_host(client, core, redis, tls_host, unique_name, tagged):  # noqa: F811
    """The registry check (digests through the host's daemon, tags over the registry API with that host's
    insecure-registry rules), the one-line bump through the minimal-edit engine, the pull and the health
    gate: all against the service's host. Run in-process here; the test above goes through the worker."""
    add_tls_host(client, tls_host, "edge")
    repo = tagged("far").build_all(("1.0.0", "1.1.0", "2.0.0"))
    name = unique_name("bump")
    text = "x-sdmd:\n  host: edge  # the edge box\n" + compose_text(
        {"web": {"image": repo.ref("1.0.0"), "x-sdmd": {"update": "minor"}}})
    svc = create(client, name, text)
    assert [c["ImageID"] for c in remote_containers(tls_host, name)] == [repo.ids["1.0.0"]]

    checked = client.get(f"/api/services/{svc['id']}/updates").json()
    [image] = checked["images"]
    assert (image["status"], image["change"], image["candidate"]["tag"]) == ("update_available", "tag", "1.1.0")
    assert image["current"]["image_id"] == repo.ids["1.0.0"]  # what runs over there, asked of that daemon

    result = run_update(core, redis, service_id=svc["id"], mode="update", actor=SCHEDULER, trigger="schedule")
    assert result["result"] == "updated", result
    assert [(c["ImageID"], c["State"]) for c in remote_containers(tls_host, name)] == [(repo.ids["1.1.0"], "running")]
    assert core.stacks.read(name) == text.replace(repo.ref("1.0.0"), repo.ref("1.1.0"))  # host line and comments kept
    with core.db.sessions() as session:
        [audit] = session.query(AuditEntry).filter_by(action="update.run", target_id=svc["id"]).all()
    assert audit.details["host"] == "edge"
