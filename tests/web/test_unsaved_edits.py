"""Unsaved compose edits in a real browser (issue 18, items 1, 2, 10 and 12): guarded on tab switches,
in-app links and reloads, kept across a reload and a re-login, never warned against after one's own save,
and the keyboard focus stays somewhere sensible."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1, SLEEPER
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD
from tests.web.conftest import LiveServer, confirm_preview, log_in, shot


def make_service(live_server: LiveServer, token: str, name: str) -> str:
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def open_compose(page: Page, url: str, service_id: str):
    page.goto(f"{url}/service/?id={service_id}&tab=compose")
    editor = page.locator(".cm-content")
    expect(editor).to_contain_text("sleep")
    return editor


def type_at_end(page: Page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def stored_draft(page: Page, service_id: str) -> dict | None:
    raw = page.evaluate(f"sessionStorage.getItem('sdmd.draft.{service_id}')")
    return json.loads(raw) if raw else None


def test_unsaved_edits_are_guarded_and_survive_a_reload(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("guard"))
    editor = open_compose(page, url, service_id)
    type_at_end(page, "# my unsaved note\n")
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    # A tab switch asks first; "Keep editing" stays with the edit.
    page.get_by_test_id("tab-logs").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Leave without saving?")
    expect(dialog).to_contain_text("stacks/")
    shot(page, "18-01-unsaved-tab-switch")
    page.get_by_test_id("confirm-cancel").click()
    expect(page).to_have_url(re.compile(r"tab=compose"))
    expect(editor).to_contain_text("# my unsaved note")
    expect(editor).to_be_focused()  # back to the text (focusing the Logs tab would switch to it)
    expect(page.get_by_role("alertdialog")).to_have_count(0)

    # An in-app link asks too.
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Leave without saving?")
    page.get_by_test_id("confirm-cancel").click()
    expect(page).to_have_url(re.compile(r"/service/\?id="))

    # The draft is kept in sessionStorage with the ETag it started from.
    etag = live_server.api(token).get(f"/api/services/{service_id}").headers["ETag"]
    draft = stored_draft(page, service_id)
    assert draft and "# my unsaved note" in draft["text"] and draft["etag"] == etag

    # Reloading asks (beforeunload); after it the draft is offered and restored.
    seen: list[str] = []
    page.once("dialog", lambda d: (seen.append(d.type), d.accept()))
    page.reload()
    assert seen == ["beforeunload"]
    expect(page.get_by_test_id("draft-offer")).to_contain_text("were kept")
    expect(editor).not_to_contain_text("# my unsaved note")
    shot(page, "18-02-draft-offer-after-reload")
    page.get_by_test_id("restore-draft").click()
    expect(editor).to_contain_text("# my unsaved note")
    expect(page.get_by_test_id("unsaved")).to_be_visible()

    # Choosing to leave throws the edit away, draft included, and goes where the click wanted.
    page.get_by_test_id("tab-activity").click()
    page.get_by_test_id("confirm-action").click()
    expect(page).to_have_url(re.compile(r"tab=activity"))
    assert stored_draft(page, service_id) is None
    page.get_by_test_id("tab-compose").click()  # nothing unsaved now: no question
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(editor).not_to_contain_text("# my unsaved note")


def test_own_save_moves_the_etag_forward_and_discard_keeps_focus(page: Page, live_server: LiveServer,
                                                                 unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("etag"))
    editor = open_compose(page, url, service_id)
    api = live_server.api(token)

    # Record the "changed on the server" warning if it shows at all, even for a moment.
    page.evaluate("""() => {
        window.__sawWarning = false;
        new MutationObserver(() => {
            if (document.querySelector('[data-testid=changed-on-server]')) window.__sawWarning = true;
        }).observe(document.body, { childList: true, subtree: true });
    }""")
    # A save whose `compose up` takes a while (worker waits for web to be healthy, ~8 s): the file is
    # written first, so the page's refreshes during the save already see the new version, our own.
    name = api.get(f"/api/services/{service_id}").json()["name"]
    slow = (f"# first\nname: {name}\nservices:\n  web:\n    image: {IMAGE_V1}\n    init: true\n"
            f"    command: [sh, -c, 'sleep 8; touch /tmp/ready; exec sleep 3600']\n"
            f"    healthcheck: {{test: [CMD, test, -f, /tmp/ready], interval: 1s, retries: 30}}\n"
            f"  worker:\n    image: {IMAGE_V1}\n    init: true\n    command: [sleep, '3600']\n"
            f"    depends_on: {{web: {{condition: service_healthy}}}}\n")
    editor.fill(slow)
    page.get_by_test_id("save-compose").click()
    confirm_preview(page)
    expect(page.get_by_test_id("save-compose")).to_contain_text("Saving and applying", timeout=5_000)
    expect(page.get_by_test_id("toast").filter(has_text="Saved and applied")).to_be_visible(timeout=90_000)
    # Focus goes back to the text after Save, not to the page.
    expect(editor).to_be_focused()
    # Editing again at once, across the page's next refreshes, is not "changed on the server".
    page.keyboard.type("# second\n")
    page.wait_for_timeout(6_000)  # longer than a refresh (every 5 s)
    expect(editor).to_contain_text("# second")
    assert page.evaluate("window.__sawWarning") is False
    expect(page.get_by_test_id("conflict")).to_have_count(0)
    # From the keyboard: Ctrl+S shows the changes with the focus on their confirm button; Enter saves.
    page.keyboard.press("Control+s")
    preview = page.get_by_test_id("save-preview")
    expect(preview.get_by_test_id("preview-confirm")).to_be_focused(timeout=60_000)
    expect(preview.locator("[data-kind=add]")).to_have_text(re.compile(r"# second"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("unsaved")).to_have_count(0, timeout=90_000)
    expect(editor).to_be_focused()
    expect(page.get_by_test_id("conflict")).to_have_count(0)
    expect(page.get_by_test_id("error-panel")).to_have_count(0)
    compose = api.get(f"/api/services/{service_id}").json()["compose"]
    assert "# first" in compose and "# second" in compose
    shot(page, "18-03-saved-twice-no-warning")

    # Discard: its button turns disabled, focus returns to the editor.
    type_at_end(page, "# throw away\n")
    page.get_by_test_id("discard").focus()
    page.keyboard.press("Enter")
    expect(editor).not_to_contain_text("# throw away")
    expect(editor).to_be_focused()
    assert stored_draft(page, service_id) is None


def test_a_draft_survives_an_expired_session(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("relog"))
    editor = open_compose(page, url, service_id)
    type_at_end(page, "# kept across a login\n")
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    page.wait_for_timeout(500)
    # The session ends on the server; the page's next refresh is refused and it goes to the login page
    # without a beforeunload question (the draft is safe in sessionStorage).
    page_token = json.loads(page.evaluate("sessionStorage.getItem('sdmd.session')"))["access_token"]
    assert live_server.api(page_token).post("/auth/logout").status_code == 204
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    page.wait_for_url(re.compile(r"/login/\?reason=expired"), timeout=30_000)
    assert dialogs == []
    page.fill("#username", TEST_EMAIL)
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(re.compile(r"/service/\?id=.*tab=compose"))
    expect(page.get_by_test_id("draft-offer")).to_be_visible()
    shot(page, "18-04-draft-after-relogin")
    page.get_by_test_id("restore-draft").click()
    expect(editor).to_contain_text("# kept across a login")
    # Logging out on purpose drops every draft.
    page.get_by_test_id("logout").click()
    page.get_by_test_id("confirm-action").click()  # the unsaved edit is given up
    page.wait_for_url(re.compile(r"/login/\?reason=logged_out"))
    assert stored_draft(page, service_id) is None


def test_an_unsaved_env_edit_is_kept_across_tabs_and_guarded_when_leaving(page: Page, live_server: LiveServer,
                                                                          unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("envg"))
    page.goto(f"{url}/service/?id={service_id}&tab=env")
    panel = page.get_by_test_id("env-panel")
    panel.get_by_test_id("env-add").click()
    panel.get_by_test_id("env-key").last.fill("TOKEN")
    panel.get_by_test_id("env-value").last.fill("s3cret")
    expect(panel.get_by_test_id("env-dirty")).to_be_visible()

    # The .env editor stays mounted behind other tabs: switching tabs keeps the edit without asking.
    page.get_by_test_id("tab-logs").click()
    expect(page).to_have_url(re.compile(r"tab=logs"))
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    page.get_by_test_id("tab-env").click()
    expect(panel.get_by_test_id("env-dirty")).to_be_visible()
    expect(panel.locator("[data-testid=env-row][data-key=TOKEN]")).to_have_count(1)

    # Leaving the page asks, naming the file; "Keep editing" puts focus back into the variables.
    page.get_by_role("link", name="Audit log").first.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Leave without saving?")
    expect(dialog).to_contain_text(".env")
    shot(page, "18-20-env-unsaved-leave")
    page.get_by_test_id("confirm-cancel").click()
    expect(page).to_have_url(re.compile(r"/service/\?id="))
    expect(panel.get_by_test_id("env-key").first).to_be_focused()
    # Reloading asks too (beforeunload); no copy of the values is kept in sessionStorage.
    seen: list[str] = []
    page.once("dialog", lambda d: (seen.append(d.type), d.dismiss()))
    page.evaluate("location.reload()")
    page.wait_for_timeout(500)
    assert seen == ["beforeunload"]
    assert "s3cret" not in page.evaluate("JSON.stringify(Object.entries(sessionStorage))")

    # Discard: the edit goes, focus stays in the editor, and the page can be left without a question.
    panel.get_by_test_id("env-discard").click()
    expect(panel.get_by_test_id("env-dirty")).to_have_count(0)
    expect(panel.get_by_test_id("env-add")).to_be_focused()
    page.get_by_role("link", name="Audit log").first.click()
    page.wait_for_url(re.compile(r"/audit/"))
    expect(page.get_by_role("alertdialog")).to_have_count(0)
