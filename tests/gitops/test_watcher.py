"""The running API notices a hand edit by itself: file watcher -> reconcile -> applied."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.gitops.helpers import author, commit_count, containers, sleeper_yaml
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER, wait_until
from tests.support_auth import authenticate


def test_the_api_process_watches_the_stacks_folder(tmp_path: Path, database_url: str, unique_name):
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                        gitops_watch=True, reconcile_seconds=3600)  # only the watcher can notice in time
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    stacks = settings.stacks_dir
    name, new = unique_name("watched"), unique_name("fresh")
    try:
        with TestClient(create_app(core=core)) as client:
            authenticate(client, core)
            r = client.post("/api/services", json={"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}})
            assert r.status_code == 201, r.text
            sid = r.json()["id"]
            commits = commit_count(stacks)

            (stacks / name / "compose.yaml").write_text(sleeper_yaml(name, image=IMAGE_V2, comment="# by hand\n"))

            def applied() -> dict | None:
                view = client.get(f"/api/services/{sid}").json()
                return view if view["content_hash"] == view["file_hash"] else None

            view = wait_until(applied, timeout=60, what="the hand edit to be applied")
            assert [c["Image"] for c in containers(name).values()] == [IMAGE_V2]
            assert view["gitops"]["state"] == "synced"
            assert view["drift"]["drifted"] is False
            assert commit_count(stacks) == commits + 1  # the hand edit only: the API's own write made no extra
            assert author(stacks) == ("sdmd-gitops", "gitops@sdmd.invalid")

            (stacks / new).mkdir()
            (stacks / new / "compose.yaml").write_text(sleeper_yaml(new))
            wait_until(lambda: any(s["name"] == new and s["managed"] and s["status"] == "running"
                                   for s in client.get("/api/services").json()),
                       timeout=60, what="the new folder to become a running service")
    finally:
        core.close()
