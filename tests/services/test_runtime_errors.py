"""Runtime failures of `compose up`, caused for real, say their reason in words and point at the field.

A port published by another container, a tag the local registry does not have, a command the image
lacks: the message names the cause, `details` keeps compose's output, `field` names the compose path,
and nothing is left half-applied (the previous file and containers stay).
"""

from __future__ import annotations

import pytest

from tests.support import APP_IMAGE, HTTPD, IMAGE_V1, SLEEPER
from tests.web.conftest import free_port


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    # What is under test is compose's output; the database behaviour is covered on both elsewhere.
    return sqlite_database_url


def test_a_port_another_container_publishes(client, core, unique_name):
    port, spare = free_port(), free_port()
    holder = client.post("/api/services", json={"name": unique_name("holder"), "image": IMAGE_V1, **HTTPD,
                                                 "ports": [f"127.0.0.1:{port}:8080"]})
    assert holder.status_code == 201, holder.text
    name = unique_name("clash")
    r = client.post("/api/services", json={"name": name, "services": {
        "web": {"image": IMAGE_V1, **HTTPD, "ports": [f"127.0.0.1:{spare}:8081", f"127.0.0.1:{port}:8080"]}}})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == f"Port {port} is already allocated: another container publishes 127.0.0.1:{port}"
    assert "port is already allocated" in body["details"]
    assert body["field"] == "services.web.ports[1]"
    assert not (core.settings.stacks_dir / name).exists()


def test_a_tag_the_registry_does_not_have_on_update(client, core, unique_name):
    name = unique_name("tag")
    view = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER}).json()
    before = core.stacks.read(name)
    r = client.put(f"/api/services/{view['id']}", json={"name": name, "image": f"{APP_IMAGE}:v9", **SLEEPER})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == f"The image {APP_IMAGE}:v9 was not found in its registry"
    assert "manifest unknown" in body["details"]
    assert body["field"] == f"services.{name}.image"
    assert core.stacks.read(name) == before
    assert client.get(f"/api/services/{view['id']}").json()["status"] == "running"


def test_a_command_the_image_does_not_have(client, unique_name):
    name = unique_name("cmd")
    # Without init: with it, tini starts and the container exits later, after compose reported success.
    text = (f"name: {name}\nservices:\n  app:\n    image: {IMAGE_V1}\n"
            f"    command: [\"no-such-binary\", \"600\"]\n")
    r = client.post("/api/services", content=text, headers={"content-type": "application/yaml"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "The command no-such-binary does not exist in the image: executable file not found"
    assert "executable file not found in $PATH" in body["details"]
    assert body["field"] == "services.app.command"
