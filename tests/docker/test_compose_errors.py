"""compose's stderr turned into one sentence and a compose path, on output recorded from compose 2.26.

The same causes are produced for real (a port taken by another container, a tag the registry does not
have, a command the image lacks) in tests/services/test_runtime_errors.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmd.docker.compose_errors import explain, meaningful_line
from sdmd.errors import ApplyFailed

PROGRESS = """ Network p_default  Creating
 Network p_default  Created
 Container p-web-1  Creating
 Container p-web-1  Created
 Container p-web-1  Starting
"""

COMPOSE = """name: p
services:
  other:
    image: 127.0.0.1:5000/team/app:1
  web:
    image: 127.0.0.1:5000/team/app:v9
    command: ["no-such-binary", "600"]
    ports:
      - "127.0.0.1:18766:81"
      - target: 80
        published: "18765"
        host_ip: 127.0.0.1
    volumes:
      - ./data:/data
networks:
  backend:
    external: true
"""


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE)
    return [path]


@pytest.mark.parametrize(("output", "message", "field"), [
    (PROGRESS + "Error response from daemon: driver failed programming external connectivity on endpoint p-web-1 "
     "(55800cc9d48): Bind for 127.0.0.1:18765 failed: port is already allocated",
     "Port 18765 is already allocated: another container publishes 127.0.0.1:18765", "services.web.ports[1]"),
    (PROGRESS + "Error response from daemon: driver failed programming external connectivity on endpoint p-web-1 "
     "(2c80e8b): Error starting userland proxy: listen tcp4 127.0.0.1:18766: bind: address already in use",
     "Port 18766 is already in use on 127.0.0.1 by another program", "services.web.ports[0]"),
    (" web Pulling \n web Error manifest for 127.0.0.1:5000/team/app:v9 not found: manifest unknown: manifest unknown\n"
     "Error response from daemon: manifest for 127.0.0.1:5000/team/app:v9 not found: manifest unknown: "
     "manifest unknown",
     "The image 127.0.0.1:5000/team/app:v9 was not found in its registry", "services.web.image"),
    ("Error response from daemon: pull access denied for 127.0.0.1:5000/team/app, repository does not exist or "
     "may require 'docker login': denied: requested access to the resource is denied",
     "Pull access denied for 127.0.0.1:5000/team/app:1: the registry says it does not exist or needs a login",
     "services.other.image"),
    (PROGRESS + "Error response from daemon: failed to create shim task: OCI runtime create failed: runc create "
     "failed: unable to start container process: exec: \"no-such-binary\": executable file not found in $PATH: "
     "unknown",
     "The command no-such-binary does not exist in the image: executable file not found",
     "services.web.command"),
    (PROGRESS + "Error response from daemon: no such image: 127.0.0.1:5000/team/app:1: No such image: "
     "127.0.0.1:5000/team/app:1",
     "The image 127.0.0.1:5000/team/app:1 is not on this Docker host, and compose did not pull it",
     "services.other.image"),
    ("Error response from daemon: Conflict. The container name \"/shared\" is already in use by container "
     "\"abc\". You have to remove (or rename) that container to be able to reuse that name.",
     "The container name shared is already used by another container", None),
    ("network backend declared as external, but could not be found",
     "The external network backend does not exist", "networks.backend"),
    (PROGRESS + "Error response from daemon: invalid mount config for type \"bind\": bind source path does not "
     "exist: /srv/stacks/p/data", "The path /srv/stacks/p/data to mount does not exist on the Docker host",
     "services.web.volumes[0]"),
], ids=["port-allocated", "address-in-use", "manifest-unknown", "pull-denied", "executable-missing",
        "no-such-image", "name-in-use", "network-missing", "mount-missing"])
def test_known_causes_in_words_with_their_field(files, output, message, field):
    found = explain("up", output, project="p", files=files)
    assert found.message == message
    assert found.field == field
    assert found.details == output  # the whole output stays for "technical details"


def test_an_unknown_cause_is_the_daemons_own_line_without_progress(files):
    output = PROGRESS + "Error response from daemon: something nobody has seen before"
    found = explain("up", output, project="p", files=files)
    assert found.message == "Something nobody has seen before"
    assert found.field is None


def test_without_any_output_the_command_is_named():
    assert explain("restart", "").message == "compose restart failed"


def test_long_lines_are_shortened_for_the_message():
    found = explain("up", "Error response from daemon: " + "x" * 1000)
    assert len(found.message) <= 300 and found.message.endswith("…")
    assert len(found.details) > 1000


def test_a_missing_or_broken_file_still_explains_without_a_field(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text("services: [unclosed")
    found = explain("up", "Error response from daemon: manifest for a/b:1 not found: manifest unknown",
                    project="p", files=[broken, tmp_path / "missing.yaml"])
    assert found.message == "The image a/b:1 was not found in its registry" and found.field is None


def test_meaningful_line_prefers_the_daemons_answer():
    assert meaningful_line(" web Pulling \nwarning: x\nError response from daemon: the cause\n") == "the cause"
    assert meaningful_line(" Container p-web-1  Starting\nlast words\n") == "last words"


def test_the_error_body_carries_field_only_when_known():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from sdmd.http_errors import add_exception_handlers

    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/with")
    def with_field():
        raise ApplyFailed("Port 1 is already allocated", "raw", field="services.web.ports[0]")

    @app.get("/without")
    def without_field():
        raise ApplyFailed("compose up failed", "raw")

    client = TestClient(app)
    assert client.get("/with").json() == {"error": "Port 1 is already allocated", "details": "raw",
                                          "field": "services.web.ports[0]"}
    assert client.get("/without").json() == {"error": "compose up failed", "details": "raw"}
