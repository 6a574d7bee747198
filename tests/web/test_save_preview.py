"""The diff before saving (issue 17, "the dashboard shows this diff before saving an edit"), in a real
browser: a compose edit and a new service (form and YAML) first show what sdmd would write, from a real
`?dry_run=true`, with compose's warnings; going back writes nothing; confirming writes exactly the text
shown, and only over the version the diff was made against."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER
from tests.web.conftest import LiveServer, log_in, shot


def test_a_compose_edit_shows_its_diff_and_saves_exactly_that(page: Page, live_server: LiveServer,
                                                               unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    r = api.post("/api/services", json={"name": unique_name("diff"), "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    service_id, original = r.json()["id"], r.json()["compose"]
    page.goto(f"{url}/service/?id={service_id}&tab=compose")
    editor = page.locator(".cm-content")
    expect(editor).to_contain_text(IMAGE_V1)
    dry_runs: list[str] = []
    page.on("request", lambda req: dry_runs.append(req.method) if "dry_run=true" in req.url else None)

    # An edit with an obsolete `version:` key: the preview shows the diff and compose's warning.
    edited = "version: '3.8'\n" + original.replace(IMAGE_V1, IMAGE_V2) + "# bumped by hand\n"
    editor.fill(edited)
    page.get_by_test_id("save-compose").click()
    preview = page.get_by_test_id("save-preview")
    expect(preview).to_be_visible(timeout=60_000)
    assert dry_runs == ["PUT"]
    expect(preview.get_by_role("heading")).to_contain_text("compose.yaml?")
    expect(preview.locator("[data-kind=del]")).to_have_text([re.compile(re.escape(IMAGE_V1))])
    expect(preview.locator("[data-kind=add]")).to_have_text(
        [re.compile(r"version: '3.8'"), re.compile(re.escape(IMAGE_V2)), re.compile("# bumped by hand")])
    expect(preview.get_by_test_id("preview-stats")).to_contain_text("+3")
    expect(preview.get_by_test_id("preview-stats")).to_contain_text("\N{MINUS SIGN}1")
    expect(preview.get_by_test_id("preview-warnings")).to_contain_text("`version:` is obsolete")
    expect(preview.get_by_test_id("preview-confirm")).to_be_focused()
    shot(page, "17-01-save-preview-diff")

    # Going back writes nothing and keeps the edit; focus returns to what opened the preview.
    preview.get_by_test_id("preview-cancel").click()
    expect(preview).to_have_count(0)
    expect(page.get_by_test_id("save-compose")).to_be_focused()
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    assert api.get(f"/api/services/{service_id}").json()["compose"] == original

    # Confirming writes exactly the previewed text, byte for byte, and the view shows compose's warning.
    page.get_by_test_id("save-compose").click()
    expect(preview.get_by_test_id("preview-confirm")).to_be_focused(timeout=60_000)
    preview.get_by_test_id("preview-confirm").click()
    expect(page.get_by_test_id("toast").filter(has_text="Saved and applied")).to_be_visible(timeout=90_000)
    saved = api.get(f"/api/services/{service_id}").json()
    assert saved["compose"] == edited
    assert any("version" in w for w in saved["warnings"]), saved["warnings"]
    expect(page.get_by_test_id("compose-warnings")).to_contain_text("`version:` is obsolete", timeout=30_000)
    expect(page.get_by_test_id("unsaved")).to_have_count(0)

    # The preview was made against one version: if the file changes before the confirmation, the save is
    # refused (If-Match is the preview's base_hash), never written over the newer file.
    editor.fill(edited.replace("# bumped by hand", "# mine"))
    page.get_by_test_id("save-compose").click()
    expect(preview.get_by_test_id("preview-confirm")).to_be_focused(timeout=60_000)
    current = api.get(f"/api/services/{service_id}")
    theirs = current.json()["compose"].replace("# bumped by hand", "# theirs")
    r = api.put(f"/api/services/{service_id}", content=theirs,
                headers={"content-type": "application/yaml", "If-Match": current.headers["ETag"]})
    assert r.status_code == 200, r.text
    preview.get_by_test_id("preview-confirm").click()
    expect(page.get_by_test_id("conflict")).to_contain_text("changed meanwhile", timeout=60_000)
    assert api.get(f"/api/services/{service_id}").json()["compose"] == theirs
    shot(page, "17-02-preview-then-conflict")


def test_a_new_service_shows_the_file_it_will_write(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)

    # The one-container form: the preview shows the compose file sdmd made from it (a diff from nothing).
    name = unique_name("pform")
    page.goto(f"{url}/services/new/")
    page.fill("#f-name", name)
    page.fill("#f-image", IMAGE_V1)
    page.fill("#f-environment", "GREETING=hello")
    page.fill("#f-command", "sleep 600")
    page.get_by_test_id("create-service").click()
    preview = page.get_by_test_id("save-preview")
    expect(preview.get_by_role("heading")).to_have_text(f"Create {name}?", timeout=60_000)
    expect(preview.locator("[data-kind=del]")).to_have_count(0)
    expect(preview.locator("[data-kind=add]").filter(has_text=f"image: {IMAGE_V1}")).to_have_count(1)
    expect(preview.locator("[data-kind=add]").filter(has_text="GREETING")).to_have_count(1)
    shown = "\n".join(preview.locator("[data-kind=add] > span:last-child").all_inner_texts()) + "\n"
    shot(page, "17-03-create-preview-form")
    # Nothing exists until it is confirmed.
    assert all(s["name"] != name for s in api.get("/api/services").json())
    preview.get_by_test_id("preview-confirm").click()
    page.wait_for_url(re.compile(r"/service/\?id=svc"), timeout=120_000)
    service_id = page.url.split("id=")[1].split("&")[0]
    assert api.get(f"/api/services/{service_id}").json()["compose"] == shown

    # Compose YAML: the same, and Escape goes back to the text without creating anything.
    yaml_name = unique_name("pyaml")
    page.goto(f"{url}/services/new/")
    page.get_by_test_id("yaml-mode").click()
    text = f"name: {yaml_name}\nservices:\n  app:\n    image: {IMAGE_V1}  # pinned\n    command: [sleep, '600']\n"
    page.locator(".cm-content").fill(text)
    page.get_by_test_id("create-yaml").click()
    expect(preview.get_by_role("heading")).to_have_text(f"Create {yaml_name}?", timeout=60_000)
    expect(preview.locator("[data-kind=add]").filter(has_text="# pinned")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(preview).to_have_count(0)
    assert all(s["name"] != yaml_name for s in api.get("/api/services").json())
    page.get_by_test_id("create-yaml").click()
    preview.get_by_test_id("preview-confirm").click()
    page.wait_for_url(re.compile(r"/service/\?id=svc"), timeout=120_000)
    created = api.get(f"/api/services/{page.url.split('id=')[1].split('&')[0]}").json()
    assert created["compose"] == text
