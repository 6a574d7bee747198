"""A phone screen and the keyboard alone, in a real browser (issue 18, items 9 and 10)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1, SLEEPER
from tests.web.conftest import LiveServer, log_in, shot

PHONE = {"width": 390, "height": 844}


def make_service(live_server: LiveServer, token: str, name: str) -> str:
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def inside_the_screen(page: Page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box


def test_every_tab_and_new_are_on_a_phone_screen(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("phone"))
    page.set_viewport_size(PHONE)
    page.goto(f"{url}/service/?id={service_id}")
    expect(page.get_by_test_id("service-name")).to_be_visible()
    for tab in ("Containers", "Logs", "Compose", ".env", "Schedules", "Activity", "History"):
        inside_the_screen(page, page.get_by_role("tab", name=tab))
    new = page.get_by_test_id("nav-new")
    expect(new).to_have_accessible_name("New")
    inside_the_screen(page, new)
    compact = page.get_by_role("navigation", name="Main (compact)")
    for link in ("Services", "Images", "Schedules", "Audit log", "Health", "Hosts", "GitOps", "Settings"):
        inside_the_screen(page, compact.get_by_role("link", name=link))
    expect(page.get_by_role("navigation", name="Main", exact=True)).to_be_hidden()  # the wide one
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "18-17-phone-tabs-and-new")
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_role("tab", name="History")).to_have_attribute("aria-selected", "true")
    new.click()
    page.wait_for_url(f"{url}/services/new/")

    # The other pages fit the phone too: nothing sticks out sideways (wide tables scroll in their card).
    for path, heading in (("/images/", "Images"), ("/health/", "Health"), ("/hosts/", "Hosts"), ("/gitops/", "GitOps"),
                          ("/audit/", "Audit log"), ("/settings/users/", "Users"),
                          ("/settings/registries/", "Registries"), ("/settings/notifications/", "Notifications"),
                          ("/settings/about/", "About")):
        page.goto(f"{url}{path}")
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        # the tab's event stream stays open, so "networkidle" never comes: wait until nothing is loading
        expect(page.locator("main .animate-pulse")).to_have_count(0, timeout=30_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
        inside_the_screen(page, page.get_by_test_id("nav-new"))
    settings_nav = page.get_by_role("navigation", name="Settings")
    for link in ("Users", "Registries", "About"):
        inside_the_screen(page, settings_nav.get_by_role("link", name=link))
    shot(page, "18-19-phone-settings")


def test_the_keyboard_gets_into_and_out_of_dialogs_and_the_editor(page: Page, live_server: LiveServer,
                                                                 unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("keys"))
    page.goto(f"{url}/service/?id={service_id}")
    restart = page.get_by_test_id("restart")
    expect(restart).to_be_visible()

    # A dialog opened from the keyboard gives focus back to its button when closed, by Escape or Cancel.
    restart.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(restart).to_be_focused()
    delete = page.get_by_test_id("delete")
    delete.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("confirm-name")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # the Cancel button comes after; Escape closes from anywhere
    page.keyboard.press("Escape")
    expect(delete).to_be_focused()

    # The editor: a visible focus ring, Tab indents, Escape then Tab leaves it.
    page.get_by_test_id("tab-compose").click()
    content = page.locator(".cm-content")
    expect(content).to_contain_text("sleep")
    content.focus()
    ring = page.get_by_test_id("code-editor").evaluate("e => getComputedStyle(e).outlineStyle")
    assert ring == "solid", ring
    shot(page, "18-18-editor-focus-ring")
    page.keyboard.press("Control+End")
    page.keyboard.press("Tab")
    expect(content).to_be_focused()  # Tab stayed in the editor, as an indent
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("!document.activeElement.closest('.cm-editor')")
    content.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Tab")  # backwards, to the button before the editor
    expect(page.get_by_test_id("save-compose")).to_be_focused()
