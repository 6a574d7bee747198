"""Runtime failures caused for real, in a real browser (issue 18, item 3): the message says the cause in
words, the form marks the field and the editor marks the line, details keep compose's output."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import APP_IMAGE, HTTPD, IMAGE_V1, SLEEPER
from tests.web.conftest import LiveServer, confirm_preview, free_port, log_in, shot


def test_a_port_taken_by_another_container_is_named_on_the_ports_field(page: Page, live_server: LiveServer,
                                                                         unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    port, spare = free_port(), free_port()
    holder = live_server.api(token).post("/api/services", json={
        "name": unique_name("holder"), "image": IMAGE_V1, **HTTPD, "ports": [f"127.0.0.1:{port}:8080"]})
    assert holder.status_code == 201, holder.text

    page.goto(f"{url}/services/new/")
    page.fill("#f-name", unique_name("clash"))
    page.fill("#f-image", IMAGE_V1)
    page.fill("#f-ports", f"127.0.0.1:{spare}:8081\n127.0.0.1:{port}:8080")
    page.fill("#f-command", "sleep 600")
    page.get_by_test_id("create-service").click()
    confirm_preview(page)
    message = f"Port {port} is already allocated: another container publishes 127.0.0.1:{port}"
    expect(page.get_by_test_id("error-message")).to_have_text(message, timeout=120_000)
    expect(page.locator("#f-ports-error")).to_have_text(message)
    expect(page.locator("#f-ports")).to_be_focused()
    page.get_by_text("technical details").click()
    expect(page.get_by_test_id("error-details")).to_contain_text("port is already allocated")
    shot(page, "18-08-port-allocated-form")


def test_a_missing_tag_is_marked_at_the_image_line(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("tag")
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    page.goto(f"{url}/service/?id={r.json()['id']}&tab=compose")
    editor = page.locator(".cm-content")
    expect(editor).to_contain_text(IMAGE_V1)
    original = r.json()["compose"]
    edited = original.replace(IMAGE_V1, f"{APP_IMAGE}:v9")
    editor.fill(edited)
    page.get_by_test_id("save-compose").click()
    confirm_preview(page)
    expect(page.get_by_test_id("error-message")).to_have_text(
        f"The image {APP_IMAGE}:v9 was not found in its registry", timeout=120_000)
    image_line = next(i for i, line in enumerate(edited.splitlines(), 1) if "image:" in line)
    expect(page.get_by_test_id("marked-line")).to_have_text(f"Marked in the editor at line {image_line}.")
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()
    expect(page.get_by_test_id("error-panel")).to_contain_text("The file could not be applied")
    expect(page.get_by_test_id("error-panel")).to_contain_text("The previous version was put back")
    shot(page, "18-09-missing-tag-marked")
    assert live_server.api(token).get(f"/api/services/{r.json()['id']}").json()["compose"] == original


def test_a_missing_command_is_marked_in_a_new_yaml_service(page: Page, live_server: LiveServer,
                                                           unique_name) -> None:
    url = live_server.url
    log_in(page, url)
    name = unique_name("cmd")
    page.goto(f"{url}/services/new/")
    page.get_by_test_id("yaml-mode").click()
    editor = page.locator(".cm-content")
    text = f"name: {name}\nservices:\n  app:\n    image: {IMAGE_V1}\n    command: [no-such-binary, '600']\n"
    editor.fill(text)
    page.get_by_test_id("create-yaml").click()
    confirm_preview(page)
    expect(page.get_by_test_id("error-message")).to_have_text(
        "The command no-such-binary does not exist in the image: executable file not found", timeout=120_000)
    expect(page.get_by_text("Marked in the editor at line 5.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/services/new/"))
    shot(page, "18-10-missing-command-marked")
