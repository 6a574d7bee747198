"""Adopting a compose project made by hand: its file(s) come into stacks/, its containers stay as they are."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.gitops.helpers import audit_rows, author, containers, files_in, git, head
from tests.support import IMAGE_V1
from tests.support_auth import TEST_EMAIL

HAND_MADE = f"""\
# Made by hand with docker compose, long before sdmd.
services:
  web:
    image: {IMAGE_V1}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    init: true
    env_file: ./app.env      # relative to the project directory
    volumes:
      - ./data:/data          # a relative bind mount
  helper:
    image: {IMAGE_V1}
    command: ["sleep", "3600"]
    init: true
"""


def _hand_up(directory: Path, project: str, *files: str, env: dict | None = None) -> None:
    """What a person does: cd into the folder and run docker compose."""
    args = ["docker", "compose", "-p", project]
    for f in files:
        args += ["-f", f]
    subprocess.run([*args, "up", "-d", "--quiet-pull"], cwd=directory, check=True, capture_output=True,
                   timeout=120, env={**os.environ, **(env or {})})


def _project_dir(tmp_path: Path, files: dict[str, str]) -> Path:
    directory = tmp_path / "by-hand"
    (directory / "data").mkdir(parents=True)
    (directory / "app.env").write_text("COLOR=blue\n")
    for file_name, text in files.items():
        (directory / file_name).write_text(text)
    return directory


def test_adopting_a_hand_made_project_keeps_its_containers(client, core, unique_name, tmp_path):
    stacks = core.settings.stacks_dir
    project = unique_name("hand")
    directory = _project_dir(tmp_path, {"compose.yaml": HAND_MADE})
    _hand_up(directory, project)
    before = {cid: c["Created"] for cid, c in containers(project).items()}
    assert len(before) == 2
    listed = {s["name"]: s for s in client.get("/api/services").json()}
    assert listed[project]["managed"] is False

    r = client.post("/api/services/adopt", json={"project": project})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["managed"] is True and view["status"] == "running"
    assert {c["id"] for c in view["containers"]} == {cid[:12] for cid in before}
    assert view["drift"]["drifted"] is False, view["drift"]

    text = (stacks / project / "compose.yaml").read_text()
    assert text.startswith("# Made by hand with docker compose")
    assert f"{directory}/data:/data" in text and f"env_file: {directory}/app.env" in text
    assert "COLOR=blue" not in text
    assert files_in(stacks) == [f"{project}/compose.yaml"]
    assert author(stacks) == (TEST_EMAIL, TEST_EMAIL)
    adopted = audit_rows(core, "service.adopt")[-1]
    assert (adopted.outcome, adopted.target_id, adopted.details["commit"]) == ("ok", view["id"], head(stacks))

    # Managed from now on: applying the adopted file through sdmd recreates nothing.
    r = client.post(f"/api/services/{view['id']}/apply")
    assert r.status_code == 200, r.text
    assert {cid: c["Created"] for cid, c in containers(project).items()} == before
    r = client.post("/api/services/adopt", json={"project": project})
    assert r.status_code == 409


def test_adopting_a_project_with_an_override_file(client, core, unique_name, tmp_path):
    project = unique_name("ovr")
    override = "services:\n  helper:\n    environment:\n      GREETING: ${GREETING:-hello}\n"
    directory = _project_dir(tmp_path, {"compose.yaml": HAND_MADE, "compose.override.yaml": override})
    _hand_up(directory, project)
    before = set(containers(project))
    r = client.post("/api/services/adopt", json={"project": project})
    assert r.status_code == 201, r.text
    text = (core.settings.stacks_dir / project / "compose.yaml").read_text()
    assert "${GREETING:-hello}" in text  # merged, variables left for compose to interpolate
    r = client.post(f"/api/services/{r.json()['id']}/apply")
    assert r.status_code == 200, r.text
    assert set(containers(project)) == before


def test_adopting_is_refused_when_it_would_recreate_containers(client, core, unique_name, tmp_path):
    stacks = core.settings.stacks_dir
    project = unique_name("env")
    text = HAND_MADE.replace('["sleep", "3600"]', '["sleep", "${NAP}"]')
    directory = _project_dir(tmp_path, {"compose.yaml": text})
    _hand_up(directory, project, env={"NAP": "4000"})  # a value sdmd cannot know
    before = set(containers(project))
    commits = git(stacks, "rev-list", "--all", "--count") if (stacks / ".git").exists() else "0"

    r = client.post("/api/services/adopt", json={"project": project})
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "adopting would recreate containers"
    assert "helper" in r.json()["details"]
    assert not (stacks / project).exists()
    assert set(containers(project)) == before
    assert (git(stacks, "rev-list", "--all", "--count") if (stacks / ".git").exists() else "0") == commits
    assert audit_rows(core, "service.adopt")[-1].outcome == "error"


def test_adopt_unknown_project_and_bad_body(client, unique_name):
    r = client.post("/api/services/adopt", json={"project": unique_name("nothing")})
    assert r.status_code == 404
    assert r.json()["error"] == "compose project not found"
    r = client.post("/api/services/adopt", json={"project": "Not A Name"})
    assert r.status_code == 422
    r = client.post("/api/services/adopt", json={"name": "x"})
    assert r.status_code == 422
