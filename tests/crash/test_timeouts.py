"""Every subprocess has a deadline (issue 12): past it the process group is killed, drafts are removed,
nothing is left on disk, in the database or in Docker, and the error says what timed out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sdmd.config import Settings
from sdmd.gitops.context import git_repo
from sdmd.gitops.git import GitError
from sdmd.gitops.reconcile import reconcile
from tests.crash.support import compose_processes, git, project_containers
from tests.support import IMAGE_V1, wait_until

COMPOSE_TIMEOUT = 4.0

# `compose up -d` waits for db to be healthy; its check fails and start_period keeps it "starting" for a
# minute, so up hangs well past the deadline while `compose config` answers at once.
WAITS_FOR_HEALTHY = f"""\
services:
  db:
    image: {IMAGE_V1}
    command: [sleep, '3600']
    init: true
    network_mode: none
    healthcheck: {{test: [CMD, 'false'], interval: 1s, retries: 100, start_period: 60s}}
  app:
    image: {IMAGE_V1}
    command: [sleep, '3600']
    init: true
    network_mode: none
    depends_on: {{db: {{condition: service_healthy}}}}
"""


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    gitops_watch=False, compose_timeout_seconds=COMPOSE_TIMEOUT)


def test_compose_up_past_its_deadline_is_killed_and_leaves_nothing(client, core, unique_name):
    name = unique_name("t")
    started = time.monotonic()
    r = client.post(f"/api/services?name={name}", content=WAITS_FOR_HEALTHY,
                    headers={"Content-Type": "application/yaml"})
    elapsed = time.monotonic() - started
    assert r.status_code == 504, r.text
    assert r.json()["error"] == "compose up timed out"
    assert f"{COMPOSE_TIMEOUT:g}s" in r.json()["details"]
    assert elapsed < COMPOSE_TIMEOUT * 2 + 10  # up's deadline, then the undo's `down`, not a minute
    assert compose_processes(name) == []  # the whole group went, compose plugin included
    assert project_containers(name) == []
    assert not core.stacks.directory(name).exists()
    assert not list(core.settings.stacks_dir.glob(".draft-*"))
    with core.db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM docker_service_configs")).scalar_one() == 0


def _running_with_arg(arg: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if arg.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_git_past_its_deadline_kills_its_children_too(core):
    repo = git_repo(core)
    marker = f"{time.time() % 1000 + 100:.3f}"  # a sleep argument nobody else uses
    started = time.monotonic()
    with pytest.raises(GitError) as caught:
        repo.run("-c", f"alias.hang=!sleep {marker}", "hang", timeout=0.5)
    assert time.monotonic() - started < 5
    assert caught.value.message == "git timed out"
    assert "0.5s" in caught.value.details
    wait_until(lambda: not _running_with_arg(marker), timeout=5, what="the sleep git's alias started is killed")


def test_a_git_timeout_never_undoes_a_change_and_the_next_round_commits_it(client, core, unique_name):
    name = unique_name("g")
    git_repo(core)  # the repository exists; from now on every git call times out
    core.settings.git_timeout_seconds = 0.001
    r = client.post(f"/api/services?name={name}", content=WAITS_FOR_HEALTHY.split("  app:")[0].replace(
        "    healthcheck: {test: [CMD, 'false'], interval: 1s, retries: 100, start_period: 60s}\n", ""),
        headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert len(project_containers(name)) == 1
    with core.db.engine.connect() as conn:
        details = conn.execute(sa.text("SELECT details FROM audit_log WHERE action = 'service.create'")).scalar_one()
    assert "timed out after 0.001s" in str(details)
    assert not (core.settings.stacks_dir / ".git" / "index.lock").exists()

    core.settings.git_timeout_seconds = 30.0
    reconcile(core)
    assert git(core, "status", "--porcelain", "--", name) == ""
    assert git(core, "show", f"HEAD:{name}/compose.yaml") == core.stacks.read(name)
