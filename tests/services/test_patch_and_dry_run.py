"""PATCH (JSON Merge Patch), dry runs, what compose accepts, and bounded YAML, against a real Docker engine."""

from __future__ import annotations

import time

import sqlalchemy as sa

from tests.gitops.helpers import audit_rows, commit_count, containers, git
from tests.support import IMAGE_V1, IMAGE_V2

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
YAML = {"content-type": "application/yaml"}


def shared_file(image: str = IMAGE_V1) -> str:
    return f"""\
# three sleepers sharing their settings
x-defaults: &defaults
  image: {image}
  command: ["sleep", "3600"]   # busybox
  init: true

services:
  a:
    <<: *defaults
  b:
    <<: *defaults
    labels:
      tier: "middle"
  c:
    <<: *defaults
"""


def by_service(project: str) -> dict[str, dict]:
    return {c["Labels"]["com.docker.compose.service"]: c for c in containers(project).values()}


def service_rows(core) -> list:
    with core.db.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT name FROM docker_service_configs")))


def test_patch_changes_one_line_and_recreates_only_that_service(client, core, unique_name):
    name = unique_name("patch")
    created = client.post(f"/api/services?name={name}", content=shared_file(), headers=YAML)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    before = {svc: c["Id"] for svc, c in by_service(name).items()}

    r = client.patch(f"/api/services/{name}", json={"services": {"b": {"image": IMAGE_V2}}},
                     headers={**MERGE_PATCH, "if-match": etag})
    assert r.status_code == 200, r.text
    text = r.json()["compose"]
    # b's image came from the shared anchor: b alone gets an override line, a and c keep the anchor
    assert text == shared_file().replace('      tier: "middle"\n', f'      tier: "middle"\n    image: {IMAGE_V2}\n')
    assert core.stacks.read(name) == text and r.headers["etag"] != etag
    after = by_service(name)
    assert after["b"]["Image"] == IMAGE_V2 and after["b"]["Id"] != before["b"]
    assert (after["a"]["Id"], after["c"]["Id"]) == (before["a"], before["c"])
    (audit,) = [row for row in audit_rows(core, "service.update") if row.outcome == "ok"]
    assert audit.details["merge_patch"] is True
    assert audit.details["commit"] == git(core.settings.stacks_dir, "rev-parse", "HEAD")
    assert git(core.settings.stacks_dir, "log", "-1", "--format=%s") == f"Update service {name}"

    stale = client.patch(f"/api/services/{name}", json={"services": {"a": {"init": False}}},
                         headers={**MERGE_PATCH, "if-match": etag})
    assert stale.status_code == 409 and core.stacks.read(name) == text


def test_a_bad_patch_changes_nothing(client, core, unique_name):
    name = unique_name("badpatch")
    assert client.post(f"/api/services?name={name}", content=shared_file(), headers=YAML).status_code == 201
    text = core.stacks.read(name)
    ids = set(containers(name))
    commits = commit_count(core.settings.stacks_dir)
    for body, headers, status in (
        ("services: {}", YAML, 415),
        ("[1, 2]", MERGE_PATCH, 422),
        ('{"services": null}', MERGE_PATCH, 422),
        ('{"services": {"a": {"ports": ["not-a-port"]}}}', MERGE_PATCH, 422),  # compose config refuses it
        ('{"name": "other"}', MERGE_PATCH, 422),
        ("{not json", MERGE_PATCH, 422),
    ):
        r = client.patch(f"/api/services/{name}", content=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]
    assert client.patch("/api/services/svc_nope", json={}, headers=MERGE_PATCH).status_code == 404
    assert core.stacks.read(name) == text and set(containers(name)) == ids
    assert commit_count(core.settings.stacks_dir) == commits


def test_dry_run_create_leaves_nothing_behind(client, core, unique_name):
    name = unique_name("dry")
    audits = len(audit_rows(core, "service.create"))
    r = client.post("/api/services?dry_run=true", json={"name": name, "image": IMAGE_V1, "restart": "always"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == {"dry_run": True, "name": name, "compose": body["compose"], "diff": body["diff"],
                    "changed": True, "file_hash": body["file_hash"], "base_hash": None, "warnings": [],
                    "host": "local"}
    assert body["compose"] == f"services:\n  {name}:\n    image: {IMAGE_V1}\n    restart: always\n"
    assert body["diff"].startswith(f"--- /dev/null\n+++ b/{name}/compose.yaml\n")
    r = client.post(f"/api/services?name={name}&dry_run=true", content=shared_file(), headers=YAML)
    assert r.status_code == 200 and r.json()["compose"] == shared_file()
    invalid = "services:\n  a:\n    image: a\n    ports: [nope]\n"
    bad = client.post(f"/api/services?name={name}&dry_run=true", content=invalid, headers=YAML)
    assert bad.status_code == 422
    stacks = core.settings.stacks_dir
    assert not stacks.exists() or [p.name for p in stacks.iterdir() if p.name != ".git"] == []
    assert service_rows(core) == [] and containers(name) == {}
    assert len(audit_rows(core, "service.create")) == audits


def test_dry_run_update_shows_the_diff_and_writes_nothing(client, core, unique_name):
    name = unique_name("dryupd")
    created = client.post(f"/api/services?name={name}", content=shared_file(), headers=YAML)
    etag = created.headers["etag"].strip('"')
    text = core.stacks.read(name)
    ids = set(containers(name))
    commits = commit_count(core.settings.stacks_dir)
    updates = len(audit_rows(core, "service.update"))

    r = client.patch(f"/api/services/{name}?dry_run=true", json={"services": {"c": {"labels": {"x": "1"}}}},
                     headers=MERGE_PATCH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["base_hash"] == etag and body["changed"] is True
    assert body["diff"].splitlines()[-3:] == ["     <<: *defaults", "+    labels:", '+      x: "1"']
    put = client.put(f"/api/services/{name}?dry_run=true", content=shared_file(IMAGE_V2), headers=YAML)
    assert put.status_code == 200 and put.json()["compose"] == shared_file(IMAGE_V2)
    assert f"-  image: {IMAGE_V1}\n+  image: {IMAGE_V2}\n" in put.json()["diff"]
    same = client.patch(f"/api/services/{name}?dry_run=true", json={}, headers=MERGE_PATCH).json()
    assert same["changed"] is False and same["diff"] == "" and same["compose"] == text
    stale = client.put(f"/api/services/{name}?dry_run=true", content=text, headers={**YAML, "if-match": '"x"'})
    assert stale.status_code == 409

    assert core.stacks.read(name) == text and set(containers(name)) == ids
    assert commit_count(core.settings.stacks_dir) == commits
    assert len(audit_rows(core, "service.update")) == updates
    assert not [p for p in core.settings.stacks_dir.iterdir() if p.name.startswith(".draft-")]
    # the previewed text, sent with If-Match: base_hash, is exactly what gets written
    saved = client.put(f"/api/services/{name}", content=body["compose"], headers={**YAML, "if-match": etag})
    assert saved.status_code == 200 and core.stacks.read(name) == body["compose"]


def test_what_compose_accepts_is_accepted_and_version_is_a_warning(client, core, unique_name):
    name = unique_name("accept")
    text = f"""\
version: "3.8"
services:
  initContainer:
    image: {IMAGE_V1}
    command: ["sleep", "3600"]
    init: true
    restart: ${{RESTART:-unless-stopped}}
"""
    r = client.post(f"/api/services?name={name}", content=text, headers=YAML)
    assert r.status_code == 201, r.text
    assert r.json()["compose"] == text
    assert any("version" in w for w in r.json()["warnings"])
    assert any("version" in w for w in client.get(f"/api/services/{name}").json()["warnings"])
    (container,) = containers(name).values()
    assert container["Labels"]["com.docker.compose.service"] == "initContainer"
    patched = client.patch(f"/api/services/{name}", json={"services": {"initContainer": {"labels": {"a": "b"}}}},
                           headers=MERGE_PATCH)
    assert patched.status_code == 200, patched.text
    assert patched.json()["compose"] == text + "    labels:\n      a: b\n"


def test_json_definitions_write_no_name_key(client, core, unique_name):
    name = unique_name("noname")
    r = client.post("/api/services", json={"name": name, "image": IMAGE_V1, "command": ["sleep", "3600"],
                                           "init": True})
    assert r.status_code == 201, r.text
    assert "name:" not in core.stacks.read(name)  # the folder is the project name (compose -p)
    assert {c["Labels"]["com.docker.compose.project"] for c in containers(name).values()} == {name}


def test_an_alias_bomb_is_refused_at_once_and_leaves_nothing(client, core, unique_name):
    name = unique_name("bomb")
    levels = ["a0: &a0 [" + ", ".join(['"lol"'] * 10) + "]"]
    for i in range(1, 9):  # ~10**9 nodes (hundreds of MB) once expanded
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "x-bomb:\n" + "".join(f"  {line}\n" for line in levels) + f"services:\n  a:\n    image: {IMAGE_V1}\n"
    started = time.monotonic()
    r = client.post(f"/api/services?name={name}", content=bomb, headers=YAML)
    elapsed = time.monotonic() - started
    assert r.status_code == 422 and "SDMD_YAML_MAX_NODES" in r.json()["details"]
    assert elapsed < 1, elapsed
    stacks = core.settings.stacks_dir
    assert not stacks.exists() or [p.name for p in stacks.iterdir() if p.name != ".git"] == []
    assert service_rows(core) == []

    assert client.post(f"/api/services?name={name}", content=shared_file(), headers=YAML).status_code == 201
    text = core.stacks.read(name)
    started = time.monotonic()
    assert client.put(f"/api/services/{name}", content=bomb, headers=YAML).status_code == 422
    assert time.monotonic() - started < 1
    assert core.stacks.read(name) == text


def test_a_yaml_put_is_stored_byte_for_byte(client, core, unique_name):
    name = unique_name("bytes")
    assert client.post(f"/api/services?name={name}", content=shared_file(), headers=YAML).status_code == 201
    text = "\ufeff" + shared_file().replace("\n", "\r\n").replace("# busybox", "#\tbusybox  ")
    r = client.put(f"/api/services/{name}", content=text.encode(), headers=YAML)
    assert r.status_code == 200, r.text
    assert (core.settings.stacks_dir / name / "compose.yaml").read_bytes() == text.encode()
    # and a JSON edit of that file keeps its BOM and CRLF line ends
    r = client.patch(f"/api/services/{name}", json={"services": {"a": {"labels": {"k": "v"}}}}, headers=MERGE_PATCH)
    assert r.status_code == 200, r.text
    a = "  a:\r\n    <<: *defaults\r\n"
    expected = text.replace(a, a + "    labels:\r\n      k: v\r\n")
    assert (core.settings.stacks_dir / name / "compose.yaml").read_bytes() == expected.encode()
