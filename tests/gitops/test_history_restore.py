"""History you can use: one commit's diff of the service's folder, a file as it was, restoring a version
(a new commit through the update path: validated, applied, rolled back on failure, If-Match, audit)."""

from __future__ import annotations

import socket

from tests.gitops.helpers import audit_rows, commit_count, git, head, running_ids
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, docker_api
from tests.support_auth import TEST_EMAIL
from tests.web.conftest import free_port


def _service(client, name: str, **extra) -> str:
    r = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER, **extra})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _edit(client, sid: str, name: str, **extra) -> None:
    r = client.put(f"/api/services/{sid}", json={"name": name, "image": IMAGE_V1, **SLEEPER, **extra})
    assert r.status_code == 200, r.text


def test_commit_detail_shows_the_folders_diff_and_tree(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name, other = unique_name("diff"), unique_name("other")
    sid = _service(client, name)
    _service(client, other)
    _edit(client, sid, name, environment={"MODE": "blue"})
    rows = client.get(f"/api/services/{sid}/history").json()
    update, create = rows[0]["commit"], rows[1]["commit"]

    detail = client.get(f"/api/services/{sid}/history/{update[:10]}").json()
    assert detail["commit"] == update and detail["short"] == update[:7]
    assert detail["message"].startswith(f"Update service {name}") and "sdmd-action: service.update" in detail["message"]
    assert detail["email"] == TEST_EMAIL and detail["is_head"] is True
    [changed] = detail["files"]
    assert changed["path"] == "compose.yaml" and changed["status"] == "modified"
    assert "+      MODE: blue" in changed["patch"] and changed["additions"] >= 2 and not changed["binary"]
    assert detail["tree"] == ["compose.yaml"]

    # The first commit of the folder is diffed against nothing: the whole file is added.
    first = client.get(f"/api/services/{sid}/history/{create}").json()
    assert [(f["path"], f["status"]) for f in first["files"]] == [("compose.yaml", "added")]
    assert first["is_head"] is False and first["files"][0]["deletions"] == 0
    # The other service's later commit touches nothing of this folder.
    other_commit = git(stacks, "log", "-1", "--format=%H", "--", f"{other}/")
    assert client.get(f"/api/services/{sid}/history/{other_commit}").json()["files"] == []


def test_file_at_a_version_and_bad_references(client, core, unique_name):
    name = unique_name("file")
    sid = _service(client, name)
    first = head(core.settings.stacks_dir)
    _edit(client, sid, name, environment={"MODE": "green"})
    r = client.get(f"/api/services/{sid}/history/{first}/file")
    assert r.status_code == 200
    body = r.json()
    assert body["path"] == "compose.yaml" and "MODE" not in body["content"] and IMAGE_V1 in body["content"]
    assert body["size"] == len(body["content"].encode())
    latest = head(core.settings.stacks_dir)
    assert "MODE: green" in client.get(f"/api/services/{sid}/history/{latest}/file").json()["content"]

    for ref, status in (("not-hex", 422), ("abc", 422), ("HEAD", 422), ("0" * 40, 404), ("deadbeef", 404)):
        r = client.get(f"/api/services/{sid}/history/{ref}")
        assert r.status_code == status, (ref, r.text)
        assert set(r.json()) == {"error", "details"}
    for path in ("../" + name + "/compose.yaml", "/etc/passwd", "a/../../x"):
        r = client.get(f"/api/services/{sid}/history/{first}/file", params={"path": path})
        assert r.status_code == 422, path
    r = client.get(f"/api/services/{sid}/history/{first}/file", params={"path": ".env"})
    assert r.status_code == 404 and r.json()["error"] == "file not found"
    assert client.get(f"/api/services/svc_nope/history/{first}").status_code == 404


def test_restore_is_a_new_commit_applied_and_audited(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("rest")
    sid = _service(client, name)
    v1 = head(stacks)
    r = client.put(f"/api/services/{sid}", json={"name": name, "image": IMAGE_V2, **SLEEPER})
    assert r.status_code == 200
    before = commit_count(stacks)
    etag = client.get(f"/api/services/{sid}").headers["ETag"]

    # A stale ETag is refused and changes nothing.
    r = client.post(f"/api/services/{sid}/history/{v1}/restore", headers={"If-Match": '"stale"'})
    assert r.status_code == 409 and r.json()["error"] == "service changed meanwhile"
    assert commit_count(stacks) == before

    r = client.post(f"/api/services/{sid}/history/{v1[:8]}/restore", headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{r.json()["file_hash"]}"' != etag
    assert commit_count(stacks) == before + 1
    assert git(stacks, "show", "-s", "--format=%s") == f"Restore service {name} to {v1[:7]}"
    assert git(stacks, "show", f"HEAD:{name}/compose.yaml") == git(stacks, "show", f"{v1}:{name}/compose.yaml")
    assert "sdmd-action: service.restore" in git(stacks, "show", "-s", "--format=%B")
    # Applied: the container runs the old image again, and nothing drifts.
    api = docker_api()
    try:
        [cid] = running_ids(name)
        assert api.inspect_container(cid)["Config"]["Image"] == IMAGE_V1
    finally:
        api.close()
    assert client.get(f"/api/services/{sid}/drift").json()["drifted"] is False
    refused, audit = audit_rows(core, "service.restore")
    assert refused.outcome == "error" and refused.details["restored_from"] == v1
    assert audit.outcome == "ok" and audit.target_id == sid
    assert audit.details["restored_from"] == v1 and audit.details["commit"] == head(stacks)

    # Restoring the version it already is: 409, no commit.
    r = client.post(f"/api/services/{sid}/history/{v1}/restore")
    assert r.status_code == 409 and r.json()["error"] == "nothing to restore"
    assert commit_count(stacks) == before + 1


def test_a_restore_that_cannot_be_applied_is_rolled_back(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("roll")
    port = free_port()
    sid = _service(client, name, ports=[f"127.0.0.1:{port}:8080"])
    with_port = head(stacks)
    r = client.put(f"/api/services/{sid}", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 200
    current = (stacks / name / "compose.yaml").read_text()
    before = commit_count(stacks)
    # Meanwhile something else took the port the old version publishes.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        r = client.post(f"/api/services/{sid}/history/{with_port}/restore")
    assert r.status_code == 422, r.text
    assert "restored and re-applied" in r.json()["details"]
    assert (stacks / name / "compose.yaml").read_text() == current
    assert commit_count(stacks) == before and git(stacks, "status", "--porcelain") == ""
    # The service runs again as the current file says: one container, without the old port.
    [cid] = running_ids(name)
    api = docker_api()
    try:
        assert not api.inspect_container(cid)["HostConfig"].get("PortBindings")
    finally:
        api.close()
    [audit] = audit_rows(core, "service.restore")
    assert audit.outcome == "error" and "commit" not in audit.details


def test_a_file_that_is_not_text_is_refused_in_words(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("bin")
    sid = _service(client, name)
    (stacks / name / "logo.bin").write_bytes(b"\xff\xfe\x00binary\x80")
    # A person's file beside compose.yaml, committed by the next change as a hand edit.
    _edit(client, sid, name, environment={"X": "1"})
    hand = git(stacks, "log", "--format=%H", "-1", "--", f"{name}/logo.bin")
    detail = client.get(f"/api/services/{sid}/history/{hand}").json()
    assert [(f["path"], f["binary"]) for f in detail["files"]] == [("logo.bin", True)]
    r = client.get(f"/api/services/{sid}/history/{hand}/file", params={"path": "logo.bin"})
    assert r.status_code == 422 and r.json()["error"] == "not a text file"
