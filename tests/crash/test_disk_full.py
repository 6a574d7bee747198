"""A full disk (issue 19): the stacks or the data folder on a small tmpfs, filled up. A clear 507,
nothing half-written (no folder, draft, row or container of a refused create; an update refused
leaves file, mirror and containers as they were), and git still sound (`git fsck`)."""

from __future__ import annotations

import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sdmd.config import Settings
from tests.crash.support import git, project_containers
from tests.support import IMAGE_V1, IMAGE_V2

YAML = {"Content-Type": "application/yaml"}


def text_of(image: str) -> str:
    return (f"services:\n  app:\n    image: {image}\n    command: [sleep, '3600']\n    init: true\n"
            f"    network_mode: none\n")


class SmallDisk:
    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir(parents=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
        self.filler = path / ".filler"

    def fill(self, filler: Path | None = None) -> None:
        """Write until the disk says no."""
        self.filler = filler or self.filler
        chunk = b"\0" * 65536
        with open(self.filler, "ab", buffering=0) as fh:
            try:
                while True:
                    fh.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    small = SmallDisk(tmp_path / "small", "4m")
    yield small
    small.unmount()


def rows(core) -> list[str]:
    with core.db.engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("SELECT name FROM docker_service_configs ORDER BY name"))]


class TestStacksDirFull:
    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str, disk: SmallDisk) -> Settings:
        return Settings(data_dir=tmp_path / "data", stacks_dir=disk.path / "stacks", database_url=database_url,
                        gitops_watch=False)

    def test_create_and_update_refused_with_507_and_nothing_half_written(self, client, core, disk, unique_name):
        first, second = unique_name("a"), unique_name("b")
        r = client.post(f"/api/services?name={first}", content=text_of(IMAGE_V1), headers=YAML)
        assert r.status_code == 201, r.text
        service_id = r.json()["id"]
        disk.fill(core.settings.stacks_dir / ".git" / "filler")  # inside .git: no hand edit to commit

        r = client.post(f"/api/services?name={second}", content=text_of(IMAGE_V1), headers=YAML)
        assert r.status_code == 507, r.text
        assert r.json()["error"] == "insufficient storage" and "No space left" in r.json()["details"]
        assert not core.stacks.directory(second).exists() and project_containers(second) == []
        assert rows(core) == [first]

        r = client.put(f"/api/services/{service_id}", content=text_of(IMAGE_V2), headers=YAML)
        assert r.status_code == 507, r.text
        assert core.stacks.read(first) == text_of(IMAGE_V1)
        assert [(b["Image"], b["State"]) for b in project_containers(first)] == [(IMAGE_V1, "running")]
        assert client.get(f"/api/services/{service_id}").json()["compose"] == text_of(IMAGE_V1)

        assert not list(core.settings.stacks_dir.glob(".draft-*"))
        assert not list(core.settings.stacks_dir.glob("*/.compose.*.tmp"))
        git(core, "fsck", "--no-progress")  # check=True: a corrupt repository fails here

        disk.free()  # space again: the same requests go through, and git has them
        r = client.post(f"/api/services?name={second}", content=text_of(IMAGE_V1), headers=YAML)
        assert r.status_code == 201, r.text
        r = client.put(f"/api/services/{service_id}", content=text_of(IMAGE_V2), headers=YAML)
        assert r.status_code == 200, r.text
        git(core, "fsck", "--no-progress")
        assert git(core, "status", "--porcelain") == ""
        assert git(core, "show", f"HEAD:{first}/compose.yaml") == text_of(IMAGE_V2)


class TestDataDirFull:
    @pytest.fixture
    def database_url(self, disk: SmallDisk) -> str:
        return f"sqlite:///{disk.path / 'sdmd.db'}"  # SQLite lives in the data dir

    @pytest.fixture
    def settings(self, tmp_path: Path, database_url: str, disk: SmallDisk) -> Settings:
        return Settings(data_dir=disk.path, stacks_dir=tmp_path / "stacks", database_url=database_url,
                        gitops_watch=False)

    def test_a_create_the_database_cannot_keep_is_undone(self, client, core, disk, unique_name):
        client.get("/api/services")  # the session and its rows exist before the disk fills
        disk.fill()
        outcomes = {}
        for _ in range(5):  # SQLite reuses free pages first: some creates may still fit
            name = unique_name("d")
            r = client.post(f"/api/services?name={name}", content=text_of(IMAGE_V1), headers=YAML)
            outcomes[name] = r.status_code
            if r.status_code != 201:
                assert r.status_code == 507, r.text
                assert r.json()["error"] == "insufficient storage"
                break
        assert 507 in outcomes.values(), outcomes
        kept = [n for n, code in outcomes.items() if code == 201]
        assert rows(core) == sorted(kept)
        for name, code in outcomes.items():
            assert core.stacks.directory(name).exists() == (code == 201)
            assert len(project_containers(name)) == (1 if code == 201 else 0)
        assert not list(core.settings.stacks_dir.glob(".draft-*"))
