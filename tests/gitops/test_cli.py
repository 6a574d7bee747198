"""`sdmd reconcile` runs one round from the command line; POST /api/gitops/reconcile does the same over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.gitops.helpers import author, containers, sleeper_yaml


def _sdmd_reconcile(settings) -> subprocess.CompletedProcess:
    env = {**os.environ, "SDMD_DATA_DIR": str(settings.data_dir), "SDMD_STACKS_DIR": str(settings.stacks_dir),
           "SDMD_DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "sdmd.cli", "reconcile"], env=env, capture_output=True,
                          text=True, timeout=180)


def test_sdmd_reconcile_once_from_the_command_line(core, settings, unique_name):
    name = unique_name("cli")
    (settings.stacks_dir / name).mkdir(parents=True)
    (settings.stacks_dir / name / "compose.yaml").write_text(sleeper_yaml(name))
    proc = _sdmd_reconcile(settings)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [(s["name"], s["action"]) for s in report["stacks"]] == [(name, "created")]
    assert containers(name)
    assert author(settings.stacks_dir) == ("sdmd-gitops", "gitops@sdmd.invalid")

    (settings.stacks_dir / name / "compose.yaml").write_text("services:\n  app:\n    image: [broken]\n")
    proc = _sdmd_reconcile(settings)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["stacks"][0]["action"] == "invalid"


def test_reconcile_endpoint_and_status(client, core, settings, unique_name):
    name = unique_name("http")
    (settings.stacks_dir / name).mkdir(parents=True)
    (settings.stacks_dir / name / "compose.yaml").write_text(sleeper_yaml(name))
    (settings.stacks_dir / "README.md").write_text("stacks of this host\n")
    r = client.post("/api/gitops/reconcile")
    assert r.status_code == 200, r.text
    assert [(s["name"], s["action"]) for s in r.json()["stacks"]] == [(name, "created")]
    assert len(r.json()["commits"]) == 2  # the folder, and the file outside service folders
    status = client.get("/api/gitops/status").json()
    assert status["uncommitted"] == []
    assert status["remote"] == {**status["remote"], "configured": False, "state": "disabled"}
    assert status["apply"] == "auto" and status["prune"] is False
    assert {c["message"] for c in status["recent_commits"]} == {
        f"Add {name} (found in the stacks folder)", "Hand edits outside service folders"}
