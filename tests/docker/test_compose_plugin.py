"""compose calls run the docker-compose plugin as the docker CLI runs it, or `docker` when its search differs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sdmd.docker import ComposeProject, DockerGateway
from sdmd.docker.compose import PLUGIN_ENV, compose_plugin
from sdmd.errors import DockerUnavailable, InvalidInput
from tests.support import IMAGE_V1

TEXT = f"services:\n  web:\n    image: {IMAGE_V1}\n    environment: {{A: '1'}}\n"


def _project(tmp_path: Path, text: str = TEXT) -> ComposeProject:
    (tmp_path / "compose.yaml").write_text(text)
    return ComposeProject(name="plugin-check", directory=tmp_path)


def _command(gateway: DockerGateway, project: ComposeProject) -> list[str]:
    return [str(part) for part in gateway._compose(project).compose.docker_compose_cmd]


def test_the_plugin_runs_with_the_clis_arguments_and_the_same_answer(tmp_path):
    plugin = compose_plugin()
    assert plugin is not None and Path(plugin).name == "docker-compose"  # provisioned as a CLI plugin
    gateway = DockerGateway()
    project = _project(tmp_path)
    command = _command(gateway, project)
    # `<deadline> env PLUGIN_ENV=<docker> <plugin> --host <url> compose --file ...`: what the CLI would exec
    assert command[command.index(plugin) - 1].startswith(f"{PLUGIN_ENV}=")
    assert command[command.index(plugin) + 1:command.index(plugin) + 4] == ["--host", gateway.base_url, "compose"]
    model = gateway.compose_config(project)
    assert model["services"]["web"]["environment"] == {"A": "1"}
    with pytest.raises(InvalidInput):  # compose's own verdict comes back as before
        gateway.compose_config(_project(tmp_path, "services:\n  web:\n    image: [not, a, string]\n"))


def test_an_unreachable_daemon_is_still_503_through_the_plugin(tmp_path):
    gateway = DockerGateway(f"unix://{tmp_path}/no-such.sock", compose_timeout=20)
    with pytest.raises(DockerUnavailable):
        gateway.compose_up(_project(tmp_path))


def test_extra_plugin_folders_in_the_cli_config_make_it_run_docker(tmp_path, monkeypatch):
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": [str(tmp_path / "elsewhere")]}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    assert compose_plugin() is None
    gateway = DockerGateway()
    project = _project(tmp_path)
    command = _command(gateway, project)
    assert "docker" in command and not any(part.startswith(PLUGIN_ENV) for part in command)
    assert gateway.compose_config(project)["services"]["web"]["image"] == IMAGE_V1
