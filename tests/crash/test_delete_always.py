"""DELETE always works (issue 12): a broken or missing compose file does not keep a service alive.

The project goes down from the file, else from the database mirror's last applied text, else by the
com.docker.compose.project label; the audit record says which (`down_by`).
"""

from __future__ import annotations

import json
import shutil

import sqlalchemy as sa

from tests.crash.support import project_containers
from tests.support import IMAGE_V1


def with_env_file(image: str = IMAGE_V1) -> str:
    return (f"services:\n  app:\n    image: {image}\n    command: [sleep, '3600']\n    init: true\n"
            f"    network_mode: none\n    env_file: [app.env]\n")


def create(client, core, name: str, text: str) -> str:
    (core.settings.stacks_dir / name).mkdir(parents=True, exist_ok=True)
    (core.settings.stacks_dir / name / "app.env").write_text("GREETING=hi\n")
    r = client.post(f"/api/services?name={name}", content=text, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    assert len(project_containers(name)) == 1
    return r.json()["id"]


def down_by(core, name: str) -> str:
    with core.db.engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT details FROM audit_log WHERE action = 'service.delete' "
                                   "AND target_name = :n AND outcome = 'ok'"), {"n": name}).scalar_one()
    return (json.loads(raw) if isinstance(raw, str) else raw)["down_by"]


def assert_gone(client, core, name: str, service_id: str) -> None:
    assert project_containers(name) == []
    assert not (core.settings.stacks_dir / name).exists()
    assert client.get(f"/api/services/{service_id}").status_code == 404
    assert not list(core.settings.stacks_dir.glob(".draft-*"))


def test_delete_with_a_broken_compose_file_uses_the_mirror(client, core, unique_name):
    name = unique_name("b")
    service_id = create(client, core, name, with_env_file())
    core.stacks.file(name).write_text("services: [this is: not: a compose file\n")
    r = client.delete(f"/api/services/{service_id}")
    assert r.status_code == 200, r.text
    assert_gone(client, core, name, service_id)
    assert down_by(core, name) == "mirror"


def test_delete_with_a_missing_compose_file_uses_the_mirror(client, core, unique_name):
    name = unique_name("m")
    service_id = create(client, core, name, with_env_file())
    shutil.rmtree(core.stacks.directory(name))
    core.stacks.directory(name).mkdir()  # the folder stays, its compose.yaml is gone
    (core.stacks.directory(name) / "app.env").write_text("GREETING=hi\n")
    r = client.delete(f"/api/services/{service_id}")
    assert r.status_code == 200, r.text
    assert_gone(client, core, name, service_id)
    assert down_by(core, name) in ("file", "mirror")  # the mirror is written back as the file first


def test_delete_when_neither_file_nor_mirror_can_be_read_goes_by_label(client, core, unique_name):
    """The file is broken and the mirror names an env_file someone removed: compose refuses both."""
    name = unique_name("l")
    service_id = create(client, core, name, with_env_file())
    (core.stacks.directory(name) / "app.env").unlink()
    core.stacks.file(name).write_text("services:\n  app: {image: [broken\n")
    r = client.delete(f"/api/services/{service_id}")
    assert r.status_code == 200, r.text
    assert_gone(client, core, name, service_id)
    assert down_by(core, name) == "labels"


def test_delete_with_the_whole_folder_gone_and_no_usable_mirror(client, core, unique_name):
    name = unique_name("g")
    service_id = create(client, core, name, with_env_file())
    shutil.rmtree(core.stacks.directory(name))  # app.env went with it: the mirror cannot be parsed either
    r = client.delete(f"/api/services/{service_id}")
    assert r.status_code == 200, r.text
    assert_gone(client, core, name, service_id)
    assert down_by(core, name) == "labels"
