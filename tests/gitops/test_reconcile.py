"""Hand edits in the stacks folder, reconciled: applied, refused, new folders, deleted folders, manual mode."""

from __future__ import annotations

import sqlalchemy as sa

from sdmd.core import Core
from sdmd.gitops.reconcile import reconcile
from sdmd.services.models import DockerServiceConfig
from tests.gitops.helpers import (
    audit_rows,
    author,
    containers,
    files_in,
    git,
    head,
    running_ids,
    sleeper_yaml,
)
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER
from tests.support_auth import TEST_EMAIL

HAND_EDIT = """\
# Edited by hand on the server: keep this comment.
services:
  app:
    image: {image}   # pinned on purpose
    command: ["sleep", "3600"]
    init: true
    environment:
      MODE: "{mode}"  # the quotes stay
      LEVEL: "1"
"""


def _create(client, name: str, **extra) -> str:
    r = client.post("/api/services", json={"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER, **extra}}})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _config(core: Core, name: str) -> DockerServiceConfig | None:
    with core.db.sessions() as session:
        return session.scalar(sa.select(DockerServiceConfig).where(DockerServiceConfig.name == name))


def _stack(report: dict, name: str) -> dict:
    return next(s for s in report["stacks"] if s["name"] == name)


def test_hand_edit_with_comments_is_applied_and_survives_an_api_edit(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    sid = _create(client, name)
    old_ids = running_ids(name)
    path = stacks / name / "compose.yaml"
    path.write_text(HAND_EDIT.format(image=IMAGE_V2, mode="hand"))

    report = reconcile(core)
    assert _stack(report, name)["action"] == "applied"
    assert author(stacks) == ("sdmd-gitops", "gitops@sdmd.invalid")  # the hand edit, committed by sdmd
    assert files_in(stacks) == [f"{name}/compose.yaml"]
    assert _stack(report, name)["commit"] == head(stacks)
    new = containers(name)
    assert set(new) != old_ids  # recreated with the new definition
    assert [c["Image"] for c in new.values()] == [IMAGE_V2]
    assert _config(core, name).compose_text == path.read_text()
    applied = audit_rows(core, "gitops.apply")[-1]
    assert (applied.actor_id, applied.outcome, applied.details["commit"]) == ("gitops", "ok", head(stacks))

    # An API edit of another key keeps every comment and the quoting of untouched values.
    view = client.get(f"/api/services/{sid}")
    assert view.json()["gitops"]["state"] == "synced"
    r = client.put(f"/api/services/{sid}", headers={"If-Match": view.headers["ETag"]}, json={
        "name": name, "services": {"app": {"image": IMAGE_V2, "command": ["sleep", "3600"], "init": True,
                                           "environment": {"MODE": "hand", "LEVEL": "2"}}}})
    assert r.status_code == 200, r.text
    text = path.read_text()
    for kept in ("# Edited by hand on the server: keep this comment.", "# pinned on purpose",
                 'MODE: "hand"  # the quotes stay'):
        assert kept in text
    assert "LEVEL: '2'" in text or 'LEVEL: "2"' in text or "LEVEL: 2" in text
    assert author(stacks) == (TEST_EMAIL, TEST_EMAIL)
    assert reconcile(core)["stacks"] == []  # nothing left to do


def test_invalid_hand_edit_is_not_applied_and_the_old_containers_keep_running(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("web")
    sid = _create(client, name)
    old_ids = running_ids(name)
    assert old_ids
    good = _config(core, name).compose_text
    path = stacks / name / "compose.yaml"
    path.write_text(good.replace("image:", "imagee:"))  # compose refuses the unknown key

    report = reconcile(core)
    assert _stack(report, name)["action"] == "invalid"
    assert running_ids(name) == old_ids
    assert _config(core, name).compose_text == good
    view = client.get(f"/api/services/{sid}").json()
    assert view["gitops"]["state"] == "error"
    assert "imagee" in view["gitops"]["error"]
    assert view["status"] == "running"
    assert view["drift"]["file"] == "changed"
    failed = audit_rows(core, "gitops.apply")[-1]
    assert (failed.actor_id, failed.outcome) == ("gitops", "error")
    assert author(stacks) == ("sdmd-gitops", "gitops@sdmd.invalid")  # history keeps even the bad edit

    # Reported once, not on every round; fixing the file applies it and clears the error.
    reconcile(core)
    assert len([a for a in audit_rows(core, "gitops.apply") if a.outcome == "error"]) == 1
    path.write_text(good.replace("init: true", "init: true\n    environment:\n      FIXED: 'yes'"))
    assert _stack(reconcile(core), name)["action"] == "applied"
    assert client.get(f"/api/services/{sid}").json()["gitops"]["state"] == "synced"
    assert running_ids(name) and running_ids(name) != old_ids


def test_a_new_folder_becomes_a_service(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("new")
    (stacks / name).mkdir(parents=True)
    (stacks / name / "compose.yaml").write_text(sleeper_yaml(name, comment="# made by hand\n"))
    reconcile(core)
    listed = {s["name"]: s for s in client.get("/api/services").json()}
    assert listed[name]["managed"] is True
    assert listed[name]["status"] == "running"
    assert listed[name]["drift"]["drifted"] is False
    assert author(stacks) == ("sdmd-gitops", "gitops@sdmd.invalid")
    created = audit_rows(core, "gitops.create")[-1]
    assert (created.target_id, created.details["commit"]) == (listed[name]["id"], head(stacks))

    # An invalid new folder is reported, not created.
    bad = unique_name("bad")
    (stacks / bad).mkdir()
    (stacks / bad / "compose.yaml").write_text("services:\n  app:\n    image: [not, a, string]\n")
    assert _stack(reconcile(core), bad)["action"] == "invalid"
    assert _config(core, bad) is None
    status = client.get("/api/gitops/status").json()
    assert any(s["name"] == bad and s["state"] == "error" for s in status["stacks"])


def test_a_deleted_folder_is_orphaned_then_deleting_it_takes_containers_down(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("gone")
    sid = _create(client, name)
    old_ids = running_ids(name)
    git(stacks, "rm", "-rq", name)  # a person removes the folder (staged, not committed)

    report = reconcile(core)
    assert _stack(report, name)["action"] == "orphaned"
    assert running_ids(name) == old_ids  # nothing is stopped without SDMD_GITOPS_PRUNE
    assert git(stacks, "ls-tree", "--name-only", "HEAD") == ""
    view = client.get(f"/api/services/{sid}").json()
    assert view["gitops"]["state"] == "orphaned"
    assert view["drift"]["file"] == "missing"
    assert audit_rows(core, "gitops.orphan")[-1].target_id == sid
    reconcile(core)
    assert len(audit_rows(core, "gitops.orphan")) == 1

    # Deleting an orphan through the API still takes its containers down.
    assert client.delete(f"/api/services/{sid}").status_code == 200
    assert containers(name) == {}


def test_a_deleted_folder_is_pruned_with_the_setting(client, core, unique_name):
    stacks = core.settings.stacks_dir
    name = unique_name("prune")
    sid = _create(client, name)
    assert running_ids(name)
    (stacks / name / "compose.yaml").unlink()
    (stacks / name).rmdir()
    core.settings.gitops_prune = True
    report = reconcile(core)
    assert _stack(report, name)["action"] == "pruned"
    assert containers(name) == {}
    assert _config(core, name) is None
    assert client.get(f"/api/services/{sid}").status_code == 404
    pruned = audit_rows(core, "gitops.prune")[-1]
    assert (pruned.actor_id, pruned.outcome) == ("gitops", "ok")


def test_manual_mode_marks_pending_until_applied(client, core, unique_name):
    stacks = core.settings.stacks_dir
    core.settings.gitops_apply = "manual"
    name = unique_name("man")
    sid = _create(client, name)
    old_ids = running_ids(name)
    path = stacks / name / "compose.yaml"
    path.write_text(HAND_EDIT.format(image=IMAGE_V1, mode="manual"))

    assert _stack(reconcile(core), name)["action"] == "pending"
    assert running_ids(name) == old_ids
    view = client.get(f"/api/services/{sid}").json()
    assert view["gitops"]["state"] == "pending"
    assert view["drift"]["file"] == "changed"
    assert {i["kind"] for i in view["drift"]["items"]} == {"config"}  # running != what the file says

    r = client.post(f"/api/services/{sid}/apply")
    assert r.status_code == 200, r.text
    assert r.json()["gitops"]["state"] == "synced"
    assert r.json()["drift"]["drifted"] is False
    assert running_ids(name) != old_ids
    assert _config(core, name).compose_text == path.read_text()
    applied = audit_rows(core, "service.apply")[-1]
    assert (applied.outcome, applied.details["commit"]) == ("ok", head(stacks))
