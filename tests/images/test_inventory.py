"""Local images: the list with tags, size, age and users; removing one; pruning with a preview.

The engine is shared with the rest of the suite, so these tests only ever remove images they made
(committed from the busybox test image, labelled sdmd.test=<prefix>); prune previews may list
anyone's images, and confirmations always name the test's own ids.
"""

from __future__ import annotations

import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from tests.support import IMAGE_V1, SLEEPER, TEST_LABEL, docker_api  # make_image: tests/conftest.py


def _audits(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _listed(client) -> dict[str, dict]:
    r = client.get("/api/images")
    assert r.status_code == 200, r.text
    assert r.json()["host"] == "local"
    return {i["id"]: i for i in r.json()["images"]}


def test_list_shows_tags_size_age_and_the_services_using_each(client, make_image, name_prefix, unique_name):
    repo = f"sdmd-test-local/{name_prefix}"
    image_id = make_image(repo, "1")
    name = unique_name("img")
    r = client.post("/api/services", json={"name": name, "image": f"{repo}:1", **SLEEPER})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    listed = _listed(client)
    image = listed[image_id]
    assert image["tags"] == [f"{repo}:1"] and image["short_id"] == image_id[7:19]
    assert image["size"] > 100_000 and image["created_at"].endswith(("Z", "+00:00"))
    assert image["dangling"] is False and image["in_use"] is True
    assert image["labels"][TEST_LABEL] == name_prefix
    assert [(u["service_id"], u["service_name"], u["managed"], u["state"]) for u in image["containers"]] == [
        (sid, name, True, "running")]
    assert image["named_in"] == [{"id": sid, "name": name}]
    # The busybox test image is there too, with its registry tag.
    assert any(f"{IMAGE_V1}" in i["tags"] for i in listed.values())
    # Unknown hosts are not silently the local one.
    r = client.get("/api/images", params={"host": "elsewhere"})
    assert r.status_code == 404 and r.json()["error"] == "host not found"


def test_remove_refuses_images_in_use_and_removes_tags_then_the_image(client, core, make_image, name_prefix,
                                                                      unique_name):
    repo = f"sdmd-test-local/{name_prefix}"
    used = make_image(repo, "used")
    name = unique_name("rm")
    assert client.post("/api/services", json={"name": name, "image": f"{repo}:used", **SLEEPER}).status_code == 201
    r = client.delete(f"/api/images/{used}")
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "image in use" and name in r.json()["details"]
    assert used in _listed(client)
    assert _audits(core, "image.remove")[-1].outcome == "error"

    # Two tags: removing one only untags; removing by id takes both tags and the image.
    spare = make_image(repo, "a")
    api = docker_api()
    try:
        api.tag(spare, repo, "b")
    finally:
        api.close()
    r = client.delete(f"/api/images/{spare[7:19]}", params={"tag": f"{repo}:a"})
    assert r.status_code == 200, r.text
    assert r.json()["untagged"] == [f"{repo}:a"] and r.json()["deleted"] == []
    assert _listed(client)[spare]["tags"] == [f"{repo}:b"]
    r = client.delete(f"/api/images/{spare}")
    assert r.status_code == 200, r.text
    assert spare in r.json()["deleted"] and spare not in _listed(client)
    audit = _audits(core, "image.remove")[-1]
    assert audit.outcome == "ok" and audit.target_id == spare.removeprefix("sha256:")
    assert audit.details["id"] == spare and audit.details["deleted"] is True

    for ref, status in (("nothex!", 422), ("abc", 422), ("0" * 64, 404)):
        assert client.delete(f"/api/images/{ref}").status_code == status, ref
    r = client.delete(f"/api/images/{used}", params={"tag": "someone/else:1"})
    assert r.status_code == 422 and r.json()["error"] == "tag not on this image"


def test_prune_previews_then_removes_only_what_was_shown(client, core, make_image, name_prefix, unique_name):
    repo = f"sdmd-test-local/{name_prefix}"
    dangling = make_image(repo, "x")
    newer = make_image(repo, "x")  # takes the tag: the first one is now dangling
    unused_tagged = make_image(repo, "spare")
    named = make_image(repo, "named")
    name = unique_name("pr")
    # A managed service whose file names an image it has no container of (stopped and removed): kept.
    assert client.post("/api/services", json={"name": name, "image": f"{repo}:named", **SLEEPER}).status_code == 201
    api = docker_api()
    try:
        for c in api.containers(all=True, filters={"label": f"com.docker.compose.project={name}"}):
            api.remove_container(c["Id"], force=True)
    finally:
        api.close()
    label = f"{TEST_LABEL}={name_prefix}"

    def preview(mode: str, **extra) -> set[str]:
        r = client.post("/api/images/prune", json={"mode": mode, "dry_run": True, **extra})
        assert r.status_code == 200, r.text
        assert r.json()["dry_run"] is True and r.json()["size"] == sum(i["size"] for i in r.json()["images"])
        return {i["id"] for i in r.json()["images"]}

    mine = {dangling, newer, unused_tagged, named}
    assert preview("dangling", label=label) == {dangling}
    assert preview("unused", label=label) == {dangling, newer, unused_tagged}  # not `named`
    assert preview("unused") >= {dangling, newer, unused_tagged}  # the whole engine, read-only
    assert _listed(client).keys() >= mine  # a dry run removes nothing

    # Confirm with the preview's ids; one of them got used meanwhile and is skipped, not removed.
    assert client.put(f"/api/services/{name}", json={"name": name, "image": f"{repo}:spare",
                                                     **SLEEPER}).status_code == 200
    r = client.post("/api/images/prune", json={"mode": "unused", "dry_run": False,
                                              "images": [dangling, newer, unused_tagged]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {i["id"] for i in body["images"]} == {dangling, newer}
    assert [s["id"] for s in body["skipped"]] == [unused_tagged]
    left = _listed(client)
    assert dangling not in left and newer not in left and unused_tagged in left and named in left
    audit = _audits(core, "image.prune")[-1]
    assert audit.outcome == "ok" and audit.details["removed"] == 2 and set(audit.details["ids"]) == {dangling, newer}

    r = client.post("/api/images/prune", json={"mode": "everything"})
    assert r.status_code == 422
