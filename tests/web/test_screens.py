"""Screens beyond the main journey, in a real browser: session expiry, a dropped connection with Retry,
pulling an image, the phone layout in dark mode, keyboard navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import APP_IMAGE, IMAGE_V1, SLEEPER
from tests.web.conftest import LiveServer, confirm_preview, log_in, shot


def test_expired_session_goes_back_to_login_with_a_message(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    token = log_in(page, url)
    # The session ends on the server (as after a logout elsewhere): the token and its refresh token die.
    assert live_server.api(token).post("/auth/logout").status_code == 204
    page.goto(f"{url}/schedules/")
    page.wait_for_url(re.compile(r"/login/\?reason=expired&next=%2Fschedules%2F"))
    expect(page.get_by_test_id("login-reason")).to_have_text("Your session has expired. Please log in again.")
    # Logging in again returns to where the person was.
    page.fill("#username", "tester@example.com")
    page.fill("#password", "correct horse battery staple")
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{url}/schedules/")


def test_wrong_password_is_said_plainly(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", "tester@example.com")
    page.fill("#password", "wrong")
    page.click("[data-testid=login-submit]")
    expect(page.get_by_test_id("error-message")).to_have_text("invalid credentials")
    expect(page.get_by_test_id("error-details")).to_be_hidden()


def test_network_failure_offers_retry(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("net")
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    # The connection drops for the list call (the browser aborts it, as when the network goes away).
    page.route("**/api/services", lambda route: route.abort("connectionrefused"))
    page.goto(f"{url}/")
    panel = page.get_by_test_id("error-panel")
    expect(panel).to_contain_text("No answer from the server", timeout=30_000)
    expect(panel).to_contain_text("sdmd does not answer")
    expect(panel.get_by_test_id("auto-retry")).to_be_visible()
    shot(page, "12-network-error")
    page.unroute("**/api/services")
    panel.get_by_role("button", name="Retry").click()
    expect(page.locator(f"[data-testid=service-row][data-name='{name}']")).to_be_visible()
    expect(page.get_by_test_id("error-panel")).to_have_count(0)


def test_pull_an_image(page: Page, live_server: LiveServer) -> None:
    url = live_server.url
    log_in(page, url)
    page.get_by_role("link", name="Images").first.click()
    page.fill("#img", APP_IMAGE)
    page.fill("#tag", "2")
    page.get_by_test_id("pull").click()
    expect(page.get_by_test_id("pull-status")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("pulls")).to_contain_text("digest sha256:")
    # A reference the registry does not have fails in plain words, details behind the toggle.
    page.fill("#img", f"{APP_IMAGE}-missing")
    page.fill("#tag", "1")
    page.get_by_test_id("pull").click()
    expect(page.get_by_test_id("error-message").first).to_have_text("image not found", timeout=120_000)
    shot(page, "13-images")


def test_phone_layout_in_dark_mode(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("phone")
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER,
                                                            "ports": ["127.0.0.1::8080"]})
    assert r.status_code == 201, r.text
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{url}/")
    toggle = page.get_by_test_id("theme-toggle")
    toggle.click()  # system → light
    toggle.click()  # light → dark
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    row = page.locator(f"[data-testid=service-row][data-name='{name}']")
    expect(row).to_be_visible()
    shot(page, "14-services-phone-dark")
    for path in ("/", f"/service/?id={r.json()['id']}", "/services/new/", "/audit/", "/schedules/", "/images/"):
        page.goto(f"{url}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px screen"
    page.goto(f"{url}/service/?id={r.json()['id']}&tab=compose")
    expect(page.locator(".cm-content")).to_contain_text("sleep")
    shot(page, "15-compose-phone-dark")
    # Dark mode survives a reload (stored, applied before paint).
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))


def test_keyboard_reaches_a_service_and_its_tabs(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("kbd")
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    page.goto(f"{url}/")
    expect(page.locator(f"[data-testid=service-row][data-name='{name}']")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_text("Skip to content")).to_be_focused()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.dataset?.testid") == "service-link":
            break
    else:
        raise AssertionError("Tab never reached the service link")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/service/\?id="))
    # Tabs are a Radix tablist: arrow keys move between sections.
    page.get_by_role("tab", name="Containers").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")


def test_new_service_in_yaml_mode_with_two_containers(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    log_in(page, url)
    name = unique_name("yaml")
    page.goto(f"{url}/services/new/")
    page.fill("#f-name", name)
    page.fill("#f-image", IMAGE_V1)
    page.get_by_test_id("yaml-mode").click()
    editor = page.locator(".cm-content")
    # What the form held comes along into YAML mode.
    expect(editor).to_contain_text(f"name: {name}")
    expect(editor).to_contain_text(f"image: {IMAGE_V1}")
    broken = f"name: {name}\nservices:\n  web:\n    image: {IMAGE_V1}\n   command: [sleep, '600']\n"
    editor.fill(broken)
    page.get_by_test_id("create-yaml").click()
    expect(page.get_by_test_id("error-message")).to_have_text("invalid compose file")
    expect(page.get_by_text("Marked in the editor at line 5.")).to_be_visible()
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()
    shot(page, "16-new-service-yaml-error")
    two = (f"name: {name}\nservices:\n  web:\n    image: {IMAGE_V1}\n    command: [sleep, '600']\n    init: true\n"
           f"  worker:\n    image: {IMAGE_V1}\n    command: [sleep, '600']\n    init: true\n    network_mode: none\n")
    editor.fill(two)
    page.get_by_test_id("create-yaml").click()
    confirm_preview(page)
    page.wait_for_url(re.compile(r"/service/\?id=svc"), timeout=120_000)
    expect(page.get_by_test_id("containers").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "running", timeout=60_000)
