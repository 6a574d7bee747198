"""POST /api/images/pull against the real registry on 127.0.0.1:5000."""

from __future__ import annotations

from tests.support import APP_IMAGE, docker_api


def test_pull_reports_status_and_image_id(client):
    r = client.post("/api/images/pull", json={"image": APP_IMAGE, "tag": "2"})
    assert r.status_code == 200, r.text
    body = r.json()
    api = docker_api()
    assert body["image_id"] == api.inspect_image(f"{APP_IMAGE}:2")["Id"]
    api.close()
    assert body["digest"].startswith("sha256:")
    assert any("Status:" in line for line in body["status"])


def test_tag_may_ride_on_the_image(client):
    r = client.post("/api/images/pull", json={"image": f"{APP_IMAGE}:1"})
    assert r.status_code == 200 and r.json()["image"] == f"{APP_IMAGE}:1"


def test_missing_image_is_a_clear_404(client):
    r = client.post("/api/images/pull", json={"image": "127.0.0.1:5000/sdmd-test/does-not-exist", "tag": "1"})
    assert r.status_code == 404
    assert r.json()["error"] == "image not found"
    assert "manifest unknown" in r.json()["details"]


def test_unreachable_registry_is_502(client):
    r = client.post("/api/images/pull", json={"image": "127.0.0.1:1/sdmd-test/app", "tag": "1"})
    assert r.status_code == 502
    assert r.json()["error"] == "registry unreachable"


def test_bad_references_are_422(client):
    for body in ({"image": "UPPER/case"}, {"image": "a b"}, {"image": "x", "tag": "bad tag"},
                 {"image": f"{APP_IMAGE}:1", "tag": "2"}, {}):
        r = client.post("/api/images/pull", json=body)
        assert r.status_code == 422, body
        assert set(r.json()) == {"error", "details"}


def test_a_stalled_registry_cannot_hang_the_request(tmp_path):
    """A registry that accepts connections and never answers: the pull gives up at the deadline."""
    import socket
    import threading
    import time

    from fastapi.testclient import TestClient

    from sdmd.app import create_app
    from sdmd.config import Settings
    from sdmd.core import Core
    from tests.support_auth import authenticate

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    acceptor = threading.Thread(target=accept_and_hold, daemon=True)
    acceptor.start()
    settings = Settings(data_dir=tmp_path / "d", stacks_dir=tmp_path / "s", pull_timeout_seconds=2)
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    try:
        with TestClient(create_app(core=core)) as client:
            authenticate(client, core)
            started = time.monotonic()
            r = client.post("/api/images/pull", json={"image": f"127.0.0.1:{port}/stalled/app", "tag": "1"})
            elapsed = time.monotonic() - started
        assert r.status_code == 504, r.text
        assert r.json()["error"] == "image pull timed out"
        assert elapsed < 6
    finally:
        stop.set()
        acceptor.join()
        for conn in held:
            conn.close()
        listener.close()
        core.close()


def test_tag_in_the_image_and_the_tag_field_together(client):
    """The image may carry its tag while the Tag field is empty, absent or says the same tag (issue 18)."""
    for body in ({"image": f"{APP_IMAGE}:1", "tag": ""}, {"image": f"{APP_IMAGE}:1", "tag": "1"},
                 {"image": f" {APP_IMAGE}:1 ", "tag": ":1"}, {"image": f"{APP_IMAGE}:1", "tag": None}):
        r = client.post("/api/images/pull", json=body)
        assert r.status_code == 200, (body, r.text)
        assert r.json()["image"] == f"{APP_IMAGE}:1", body
    r = client.post("/api/images/pull", json={"image": APP_IMAGE, "tag": "1"})
    assert r.status_code == 200 and r.json()["image"] == f"{APP_IMAGE}:1"


def test_two_different_tags_are_refused_in_words(client):
    r = client.post("/api/images/pull", json={"image": f"{APP_IMAGE}:1", "tag": "2"})
    assert r.status_code == 422
    assert r.json()["error"] == "the image and the tag disagree"
    assert "names the tag 1 and the tag field says 2" in r.json()["details"]
