"""Every API change is one commit of that stack's folder, by the acting user; the audit record names it."""

from __future__ import annotations

import threading

import pytest

from sdmd.auth.identity import Actor
from sdmd.gitops.reconcile import reconcile
from sdmd.services import service
from sdmd.services.service import Definition
from tests.gitops.helpers import audit_rows, author, commit_count, files_in, git, head, sleeper_yaml
from tests.support import HTTPD, IMAGE_V1, REGISTRY, SLEEPER
from tests.support_auth import TEST_EMAIL

ALICE = Actor(id="user-alice", email="alice@example.com")
BOB = Actor(id="user-bob", email="bob@example.com")


def test_api_changes_are_one_commit_each_by_the_acting_user(core, unique_name):
    stacks = core.settings.stacks_dir
    name, other = unique_name("web"), unique_name("other")
    created = service.create_service(core, actor=ALICE, definition=Definition.from_json(
        {"name": name, "image": IMAGE_V1, **SLEEPER}))
    assert (stacks / ".git").is_dir()
    assert files_in(stacks) == [f"{name}/compose.yaml"]
    assert author(stacks) == ("alice@example.com", "alice@example.com")
    assert git(stacks, "show", "-s", "--format=%s").startswith(f"Create service {name}")
    create_commit = head(stacks)
    assert audit_rows(core, "service.create")[-1].details["commit"] == create_commit

    # A person's unrelated, uncommitted work in another folder stays out of the API's commit.
    (stacks / other).mkdir()
    (stacks / other / "notes.txt").write_text("draft\n")
    before = commit_count(stacks)
    service.update_service(core, created["id"], actor=BOB, definition=Definition.from_json(
        {"name": name, "image": IMAGE_V1, **SLEEPER, "environment": {"MODE": "b"}}))
    assert commit_count(stacks) == before + 1
    assert files_in(stacks) == [f"{name}/compose.yaml"]
    assert author(stacks) == ("bob@example.com", "bob@example.com")
    assert git(stacks, "show", "-s", "--format=%cn").startswith("sdmd")
    update = audit_rows(core, "service.update")[-1]
    assert update.details["commit"] == head(stacks) != create_commit
    assert "MODE: b" in git(stacks, "show", f"HEAD:{name}/compose.yaml")
    assert f"?? {other}/notes.txt" in git(stacks, "status", "--porcelain", "--untracked-files=all")

    service.delete_service(core, created["id"], actor=ALICE)
    assert files_in(stacks) == [f"{name}/compose.yaml"]
    assert git(stacks, "show", "-s", "--format=%s").startswith(f"Delete service {name}")
    assert git(stacks, "ls-tree", "--name-only", "HEAD") == ""  # the folder is gone from the tree too
    assert audit_rows(core, "service.delete")[-1].details["commit"] == head(stacks)


def test_api_commit_through_http_and_failed_apply_leaves_no_commit(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    r = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **HTTPD})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    first = head(stacks)
    assert author(stacks) == (TEST_EMAIL, TEST_EMAIL)  # the logged-in user of the request
    audit = audit_rows(core, "service.create")[-1]
    assert audit.details["commit"] == first

    missing = f"{REGISTRY}/sdmd-test/does-not-exist:1"
    r = client.put(f"/api/services/{sid}", json={"name": name, "image": missing, **HTTPD})
    assert r.status_code == 422, r.text
    assert head(stacks) == first  # restored file, no commit
    assert git(stacks, "status", "--porcelain") == ""
    assert "commit" not in audit_rows(core, "service.update")[-1].details


def test_stale_if_match_is_409_and_nothing_is_lost(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    r = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    sid = r.json()["id"]
    r = client.get(f"/api/services/{sid}")
    etag = r.headers["ETag"]
    mirror = r.json()["content_hash"]

    # Someone edits the file meanwhile (by hand or through git).
    path = stacks / name / "compose.yaml"
    hand = path.read_text().replace("init: true", "init: true  # kept by hand")
    path.write_text(hand)
    before = head(stacks)

    r = client.put(f"/api/services/{sid}", headers={"If-Match": etag},
                   json={"name": name, "image": IMAGE_V1, **SLEEPER, "environment": {"X": "1"}})
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "service changed meanwhile"
    assert path.read_text() == hand
    assert head(stacks) == before
    assert client.get(f"/api/services/{sid}").json()["content_hash"] == mirror

    # With the new ETag the edit goes through, on top of the hand edit (committed first, as sdmd-gitops).
    r = client.get(f"/api/services/{sid}")
    r = client.put(f"/api/services/{sid}", headers={"If-Match": r.headers["ETag"]},
                   json={"name": name, "image": IMAGE_V1, **SLEEPER, "environment": {"X": "1"}})
    assert r.status_code == 200, r.text
    assert "# kept by hand" in path.read_text()
    assert author(stacks, "HEAD~1") == ("sdmd-gitops", "gitops@sdmd.invalid")
    assert author(stacks) == (TEST_EMAIL, TEST_EMAIL)


def test_initial_reconcile_commits_existing_folders(core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("pre")
    (stacks / name).mkdir(parents=True)
    (stacks / name / "compose.yaml").write_text(sleeper_yaml(name))
    report = reconcile(core)
    assert report["commits"]
    assert author(stacks) == ("sdmd-gitops", "gitops@sdmd.invalid")
    assert git(stacks, "status", "--porcelain") == ""
    assert [s["action"] for s in report["stacks"]] == ["created"]


@pytest.mark.parametrize("bad", ["services: [", "services:\n  app:\n    imagee: x\n"])
def test_invalid_api_definition_makes_no_commit(client, core, unique_name, bad):
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    before = head(stacks)
    r = client.put(f"/api/services/{name}", content=bad, headers={"content-type": "application/yaml"})
    assert r.status_code == 422
    assert head(stacks) == before



def test_api_writes_and_reconcile_never_interleave_on_a_stack(core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("busy")
    created = service.create_service(core, actor=ALICE, definition=Definition.from_json(
        {"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}}))
    before = commit_count(stacks)
    stop = threading.Event()
    rounds = []

    def reconcile_all_the_time() -> None:
        while not stop.is_set():
            rounds.append(reconcile(core))

    thread = threading.Thread(target=reconcile_all_the_time)
    thread.start()
    try:
        for level in range(3):
            service.update_service(core, created["id"], actor=BOB, definition=Definition.from_json(
                {"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER, "environment": {"L": str(level)}}}}))
    finally:
        stop.set()
        thread.join(60)
    assert len(rounds) >= 3
    # Reconcile never saw a half-done API write: no hand-edit commits, nothing applied on its own.
    assert commit_count(stacks) == before + 3
    assert git(stacks, "log", f"-{3}", "--format=%ae").splitlines() == ["bob@example.com"] * 3
    assert audit_rows(core, "gitops.apply") == []
    assert all(r["stacks"] == [] for r in rounds)


def test_history_endpoint_lists_the_commits_of_one_service(client, core, unique_name):
    name, other = unique_name("hist"), unique_name("other")
    sid = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER}).json()["id"]
    client.post("/api/services", json={"name": other, "image": IMAGE_V1, **SLEEPER})
    r = client.put(f"/api/services/{sid}", json={"name": name, "image": IMAGE_V1, **SLEEPER, "restart": "always"})
    assert r.status_code == 200, r.text
    rows = client.get(f"/api/services/{sid}/history").json()
    assert [row["message"].split()[0] for row in rows] == ["Update", "Create"]  # newest first, only this one
    assert all(row["email"] == TEST_EMAIL and len(row["commit"]) == 40 for row in rows)
    assert rows[0]["commit"] == head(core.settings.stacks_dir)
    assert client.get(f"/api/services/{sid}/history", params={"limit": 1}).json() == rows[:1]
    assert client.get(f"/api/services/{sid}/history", params={"limit": 0}).status_code == 422
    assert client.get("/api/services/svc_nope/history").status_code == 404


def _repo_with(tmp_path, *names: str):
    from sdmd.gitops.git import GitRepo

    repo = GitRepo(tmp_path / "stacks", tmp_path / "locks")
    repo.ensure("main")
    for name in names:
        (repo.root / name).mkdir()
        (repo.root / name / "compose.yaml").write_text(f"# {name}\nservices: {{}}\n")
    return repo


def test_a_prepared_commit_moves_nothing_until_it_is_finished(tmp_path):
    from sdmd.gitops.git import Author

    repo = _repo_with(tmp_path, "a")
    prepared = repo.prepare(["a"], author=Author("Alice", "alice@example.com"), message="Create service a\n")
    assert prepared.sha and prepared.parent is None
    assert repo.head() is None  # no ref names it yet: a crash here leaves `a` uncommitted, as before
    assert git(repo.root, "status", "--porcelain") == "?? a/"
    assert repo.finish(prepared) == prepared.sha == repo.head()
    assert git(repo.root, "status", "--porcelain") == ""
    assert git(repo.root, "show", "-s", "--format=%ae %s") == "alice@example.com Create service a"


def test_a_prepared_commit_is_built_again_when_another_commit_came_first(tmp_path):
    from sdmd.gitops.git import Author

    repo = _repo_with(tmp_path, "a")
    first = repo.commit(["a"], author=Author("Alice", "alice@example.com"), message="Create service a\n")
    (repo.root / "b").mkdir()
    (repo.root / "b" / "compose.yaml").write_text("services: {}\n")
    prepared = repo.prepare(["b"], author=Author("Bob", "bob@example.com"), message="Create service b\n")
    assert prepared.parent == first
    (repo.root / "c").mkdir()
    (repo.root / "c" / "compose.yaml").write_text("services: {}\n")
    other = repo.commit(["c"], author=Author("Carol", "carol@example.com"), message="Create service c\n")

    sha = repo.finish(prepared)
    assert sha == repo.head() and sha not in (prepared.sha, other)
    assert git(repo.root, "rev-parse", "HEAD^") == other  # on top of the commit that came first
    assert git(repo.root, "ls-tree", "--name-only", "HEAD").split() == ["a", "b", "c"]
    assert git(repo.root, "show", "-s", "--format=%ae %s") == "bob@example.com Create service b"
    assert git(repo.root, "status", "--porcelain") == ""
