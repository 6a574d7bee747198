"""A local bare repository stands in for the remote: pull fast-forward only, push sdmd's commits, report divergence."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sdmd.gitops.reconcile import reconcile
from sdmd.services import service
from sdmd.services.service import Definition
from tests.gitops.helpers import audit_rows, containers, git, head, sleeper_yaml
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER


def _bare(tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    return remote


def _laptop(tmp_path: Path, remote: Path) -> Path:
    """Someone's clone of the remote, where they edit and push."""
    laptop = tmp_path / "laptop"
    subprocess.run(["git", "clone", "-q", str(remote), str(laptop)], check=True, capture_output=True)
    git(laptop, "config", "user.name", "Carol")
    git(laptop, "config", "user.email", "carol@example.com")
    return laptop


def _push_change(laptop: Path, name: str, text: str, message: str) -> str:
    (laptop / name).mkdir(exist_ok=True)
    (laptop / name / "compose.yaml").write_text(text)
    git(laptop, "add", "-A")
    git(laptop, "commit", "-qm", message)
    git(laptop, "push", "-q", "origin", "HEAD:main")
    return head(laptop)


def test_pull_from_the_remote_applies_its_commit_and_sdmd_pushes_its_own(core, tmp_path, unique_name):
    remote = _bare(tmp_path)
    core.settings.git_remote = str(remote)
    stacks = core.settings.stacks_dir
    name = unique_name("web")

    # sdmd's own change is pushed on the next round.
    created = service.create_service(core, actor=None, definition=Definition.from_json(
        {"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}}))
    report = reconcile(core)
    assert report["remote"]["state"] == "pushed"
    assert git(remote, "rev-parse", "main") == head(stacks)

    # Someone pushes a change to the remote; the next round fast-forwards and applies it.
    laptop = _laptop(tmp_path, remote)
    pushed = _push_change(laptop, name, sleeper_yaml(name, image=IMAGE_V2, comment="# from the laptop\n"),
                          "Use app:2")
    report = reconcile(core)
    assert report["remote"]["state"] == "pulled"
    assert head(stacks) == pushed
    assert next(s for s in report["stacks"] if s["name"] == name)["action"] == "applied"
    assert [c["Image"] for c in containers(name).values()] == [IMAGE_V2]
    view = service.get_service(core, created["id"])
    assert view["compose"].startswith("# from the laptop")
    assert view["gitops"]["last_commit"] == pushed
    pull = audit_rows(core, "gitops.pull")[-1]
    assert (pull.actor_id, pull.details["to"], pull.details["folders"]) == ("gitops", pushed, [name])

    # A new folder pushed to the remote becomes a service.
    other = unique_name("more")
    _push_change(laptop, other, sleeper_yaml(other), "Add a stack")
    report = reconcile(core)
    assert next(s for s in report["stacks"] if s["name"] == other)["action"] == "created"
    assert containers(other)


def test_a_diverged_remote_is_reported_and_never_forced(client, core, tmp_path, unique_name):
    remote = _bare(tmp_path)
    core.settings.git_remote = str(remote)
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    client.post("/api/services", json={"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}})
    assert reconcile(core)["remote"]["state"] == "pushed"

    laptop = _laptop(tmp_path, remote)
    remote_head = _push_change(laptop, "notes", "remote side\n", "Remote change")
    # Meanwhile sdmd commits a change of its own: the histories diverge.
    r = client.put(f"/api/services/{name}", json={"name": name, "services": {"app": {
        "image": IMAGE_V1, **SLEEPER, "environment": {"LOCAL": "1"}}}})
    assert r.status_code == 200, r.text
    local_head = head(stacks)

    report = reconcile(core)
    assert report["remote"]["state"] == "diverged"
    assert git(remote, "rev-parse", "main") == remote_head  # not force-pushed
    assert head(stacks) == local_head  # not merged
    assert not (stacks / "notes").exists()
    status = client.get("/api/gitops/status").json()
    assert status["remote"]["state"] == "diverged"
    assert "by hand" in status["remote"]["detail"]
    problems = audit_rows(core, "gitops.remote")
    assert [(p.outcome, p.details["state"]) for p in problems] == [("error", "diverged")]
    reconcile(core)
    assert len(audit_rows(core, "gitops.remote")) == 1  # reported once while it stays the same

    # Resolved by hand (rebase onto the remote): the next round pushes again.
    git(stacks, "-c", "user.name=Ops", "-c", "user.email=ops@example.com", "pull", "-q", "--rebase",
        str(remote), "main")
    report = reconcile(core)
    assert report["remote"]["state"] == "pushed"
    assert git(remote, "rev-parse", "main") == head(stacks)


def test_first_start_takes_the_remote_history(core, tmp_path, unique_name):
    remote = _bare(tmp_path)
    laptop = _laptop(tmp_path, remote)
    name = unique_name("seed")
    pushed = _push_change(laptop, name, sleeper_yaml(name), "Seed stack")
    core.settings.git_remote = str(remote)
    report = reconcile(core)
    assert head(core.settings.stacks_dir) == pushed
    assert next(s for s in report["stacks"] if s["name"] == name)["action"] == "created"
    assert report["remote"]["state"] == "in_sync"
