"""Tag bumps: a one-line commit of compose.yaml (comments kept) applied behind the health gate; a bump
that fails its gate is reverted in git, so the history shows both commits."""

from __future__ import annotations

import subprocess

import pytest

from sdmd.auth.identity import SCHEDULER
from sdmd.updates.cycle import run_update
from tests.updates.test_check import compose_text, create, run

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def git(core, *args: str) -> str:
    return subprocess.run(["git", "-C", str(core.settings.stacks_dir), *args], capture_output=True, text=True,
                          check=True).stdout


def diff_lines(core, commit: str) -> list[str]:
    out = git(core, "show", "--format=", "--unified=0", commit)
    return [line for line in out.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_scheduled_bump_is_one_commit_of_one_line_then_applied(client, core, redis, unique_name, tagged):
    repo = tagged("bump").build_all(("1.0.0", "1.0.1", "1.1.0", "2.0.0"))
    for tag in ("1.0.1", "1.1.0", "2.0.0"):
        repo.forget(tag)
    name = unique_name("bump")
    text = ("# the web tier\n" + compose_text({"web": {"image": repo.ref("1.0.0"), "x-sdmd": {"update": "minor"}},
                                               "side": {"image": repo.ref("2.0.0")}}).replace(
        "  side:", "  # a sidecar, left alone\n  side:"))
    repo.build("2.0.0")  # side runs 2.0.0, which is current
    svc = create(client, name, text)
    head = git(core, "rev-parse", "HEAD").strip()

    result = run_update(core, redis, service_id=svc["id"], mode="update", actor=SCHEDULER, trigger="schedule")
    assert result["result"] == "updated", result
    assert result["commit"] and result["revert_commit"] is None
    assert git(core, "rev-parse", f"{result['commit']}^").strip() == head  # one commit on top
    author, subject = git(core, "log", "-1", "--format=%an|%s", result["commit"]).strip().split("|")
    assert author == "sdmd-scheduler"
    assert subject == f"Update {name}: {repo.repository} 1.0.0 → 1.1.0"
    assert diff_lines(core, result["commit"]) == [
        f"-    image: {repo.ref('1.0.0')}  # pinned by hand", f"+    image: {repo.ref('1.1.0')}  # pinned by hand"]
    now = core.stacks.read(name)
    assert now == text.replace(repo.ref("1.0.0"), repo.ref("1.1.0"))  # every other byte, comments too

    view = client.get(f"/api/services/{svc['id']}").json()
    images = {c["service"]: c["image_id"] for c in view["containers"]}
    assert images == {"web": repo.ids["1.1.0"], "side": repo.ids["2.0.0"]}
    assert all(c["state"] == "running" for c in view["containers"])
    assert view["compose"] == now and view["file_hash"] == view["content_hash"]  # mirrored
    assert view["drift"]["file"] == "in_sync" and view["update_available"] is False
    [check] = [c for c in result["checks"] if c["service"] == "web"]
    assert (check["tag"], check["candidate_tag"], check["new_id"]) == ("1.0.0", "1.1.0", repo.ids["1.1.0"])

    again = run_update(core, redis, service_id=svc["id"], mode="update", actor=SCHEDULER, trigger="schedule")
    assert again["result"] == "up_to_date" and again["commit"] is None  # 1.1.0 is the newest 1.x


def test_a_bump_that_fails_its_gate_is_reverted_in_git(client, core, redis, unique_name, tagged, processes):
    repo = tagged("revert")
    repo.build("1.0.0")
    repo.build("1.1.0", broken=True)  # exits at once
    repo.forget("1.1.0")
    name = unique_name("revert")
    text = compose_text({"web": {"image": repo.ref("1.0.0"), "x-sdmd": {"update": "minor"}}})
    svc = create(client, name, text)
    first = client.get(f"/api/services/{svc['id']}").json()["containers"][0]
    processes.worker()

    result = run(client, svc["id"], "update")
    assert result["result"] == "rolled_back", result
    assert "exit code 1" in result["reason"]
    bump, revert = result["commit"], result["revert_commit"]
    assert bump and revert
    log = git(core, "log", "-3", "--format=%H|%an|%s").strip().splitlines()
    assert log[0].split("|")[0] == revert and log[1].split("|")[1] == log[0].split("|")[1] != "sdmd-scheduler"
    assert log[0].split("|")[2] == f'Revert "Update {name}: {repo.repository} 1.0.0 → 1.1.0"'
    assert log[1].split("|")[0] == bump and log[1].split("|")[2] == f"Update {name}: {repo.repository} 1.0.0 → 1.1.0"
    assert f"This reverts commit {bump}." in git(core, "log", "-1", "--format=%B", revert)
    assert sorted(diff_lines(core, revert)) == sorted(line[0].translate({43: 45, 45: 43}) + line[1:]
                                                      for line in diff_lines(core, bump))  # the exact inverse
    assert core.stacks.read(name) == text  # the file is back, byte for byte
    history = client.get(f"/api/services/{svc['id']}/history").json()
    assert [h["commit"] for h in history[:2]] == [revert, bump]

    view = client.get(f"/api/services/{svc['id']}").json()
    [container] = view["containers"]
    assert (container["image_id"], container["state"]) == (repo.ids["1.0.0"], "running")
    assert container["id"] != first["id"]  # recreated on the old image
    assert view["compose"] == text and view["drift"]["file"] == "in_sync"
    assert view["update_available"] is True  # the newer tag exists; it just failed the gate
    assert repo.local_tags() == {"1.0.0"}  # the failed image is not kept

    # A schedule does not try the same failed candidate every night; a manual run would.
    head = git(core, "rev-parse", "HEAD").strip()
    scheduled = run_update(core, redis, service_id=svc["id"], mode="update", actor=SCHEDULER, trigger="schedule")
    assert scheduled["result"] == "update_available" and "failed its health gate" in scheduled["reason"]
    assert git(core, "rev-parse", "HEAD").strip() == head and scheduled["commit"] is None
    assert client.get(f"/api/services/{svc['id']}").json()["containers"][0]["image_id"] == repo.ids["1.0.0"]
