"""Outages and missing sessions in a real browser (issue 18, items 12 and 13): a failed refresh keeps the
page and marks it stale, the page comes back by itself, a dialog's "does not answer" clears once sdmd
answers, every page needs a login, an unknown service is "not found" once, titles and the favicon."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1, SLEEPER, wait_until
from tests.web.conftest import LiveServer, log_in, shot


def make_service(live_server: LiveServer, token: str, name: str) -> str:
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_failed_refresh_keeps_the_page_and_comes_back_by_itself(page: Page, live_server: LiveServer,
                                                                    unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("stale")
    service_id = make_service(live_server, token, name)
    page.goto(f"{url}/service/?id={service_id}&tab=compose")
    editor = page.locator(".cm-content")
    expect(editor).to_contain_text("sleep")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# typed before the outage\n")

    # sdmd stops answering: new requests are refused and the open ones (the tab's event stream) dropped,
    # as when the server goes away. The refreshes fail, the page stays (editor and draft), marked stale.
    api_path = re.compile(r"/api/")
    page.route(api_path, lambda route: route.abort("connectionrefused"))
    live_server.drop_connections()
    stale = page.get_by_test_id("stale")
    expect(stale).to_contain_text(re.compile(r"Last updated \d\d:\d\d · sdmd does not answer, reconnecting…"),
                                  timeout=30_000)
    expect(page.get_by_test_id("service-name")).to_have_text(name)
    expect(editor).to_contain_text("# typed before the outage")
    expect(page.get_by_test_id("error-panel")).to_have_count(0)
    shot(page, "18-05-stale-while-reconnecting")

    # It comes back without anyone pressing Retry.
    page.unroute(api_path)
    expect(stale).to_have_count(0, timeout=30_000)
    expect(editor).to_contain_text("# typed before the outage")
    expect(page.get_by_test_id("unsaved")).to_be_visible()


def test_the_list_keeps_retrying_and_a_dialog_error_clears_when_sdmd_is_back(page: Page, live_server: LiveServer,
                                                                              unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("dlg")
    make_service(live_server, token, name)

    # The first load fails: the panel says sdmd does not answer (no blame), and keeps trying by itself.
    page.route(re.compile(r"/api/services$"), lambda route: route.abort("connectionrefused"))
    page.goto(f"{url}/")
    panel = page.get_by_test_id("error-panel")
    expect(panel).to_contain_text("sdmd does not answer", timeout=30_000)
    expect(panel).not_to_contain_text("check your connection")
    expect(panel.get_by_test_id("auto-retry")).to_be_visible()
    page.unroute(re.compile(r"/api/services$"))
    row = page.locator(f"[data-testid=service-row][data-name='{name}']")
    expect(row).to_be_visible(timeout=30_000)  # no Retry pressed

    # An action fails while sdmd is unreachable: the dialog says so; once sdmd answers again (the list's
    # next refresh), the message goes away by itself.
    page.route(re.compile(r"/restart$"), lambda route: route.abort("connectionrefused"))
    row.get_by_role("button", name=f"Restart {name}").click()
    page.get_by_test_id("confirm-action").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog.get_by_test_id("error-message")).to_have_text(
        "sdmd does not answer: the server may be down or restarting")
    shot(page, "18-06-dialog-no-answer")
    page.unroute(re.compile(r"/restart$"))
    expect(dialog.get_by_test_id("error-panel")).to_have_count(0, timeout=30_000)
    expect(dialog).to_be_visible()  # the dialog stays, ready to try again


def test_every_page_needs_a_session(page: Page, live_server: LiveServer) -> None:
    for path in ("/services/new/", "/images/", "/schedules/", "/health/", "/gitops/", "/settings/users/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_url(re.compile(r"/login/\?reason=required&next=" + re.escape(path.replace("/", "%2F"))))
        expect(page.get_by_test_id("login-reason")).to_contain_text("Please log in")


def test_unknown_service_titles_and_favicon(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 and "/api/" not in r.url else None)
    token = log_in(page, url)
    expect(page).to_have_title("Services · sdmd")
    name = unique_name("title")
    service_id = make_service(live_server, token, name)

    page.goto(f"{url}/service/?id=svc_doesnotexist")
    expect(page.get_by_test_id("service-not-found")).to_be_visible()
    expect(page.get_by_text("Service not found", exact=True)).to_have_count(1)
    expect(page).to_have_title("Service not found · sdmd")
    shot(page, "18-07-service-not-found")

    page.goto(f"{url}/service/?id={service_id}")
    expect(page.get_by_test_id("service-name")).to_have_text(name)
    expect(page).to_have_title(f"{name} · sdmd")
    page.get_by_test_id("tab-logs").click()
    expect(page).to_have_title(f"{name} · sdmd")  # stays across tabs
    for path, title in (("/schedules/", "Schedules · sdmd"), ("/audit/", "Audit log · sdmd"),
                        ("/services/new/", "New service · sdmd"), ("/images/", "Images · sdmd"),
                        ("/health/", "Health · sdmd"), ("/gitops/", "GitOps · sdmd"), ("/settings/", "Settings · sdmd"),
                        ("/settings/users/", "Users · Settings · sdmd"),
                        ("/settings/about/", "About · Settings · sdmd"),
                        ("/no/such/page/", "Page not found · sdmd")):
        page.goto(f"{url}{path}")
        expect(page).to_have_title(title)
    assert missing == [f"{url}/no/such/page/"], missing  # no favicon 404, only the page asked for
    icon = page.request.get(f"{url}/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"


def fast_forward_until(page: Page, done: Callable[[], bool], what: str, limit: float = 40.0) -> None:
    """Moves the page's clock (page.clock.install()) on, a few seconds at a time, until `done()`: the page's
    own refresh and retry timers fire as they would, without the test waiting out their real time. Between
    two moves, a real quarter second: the requests the timers made answer in real time."""
    wait_until(lambda: done() or page.clock.fast_forward(3_000), timeout=limit, interval=0.25, what=what)


def test_the_new_pages_keep_what_they_loaded_through_an_outage(page: Page, live_server: LiveServer,
                                                               unique_name) -> None:
    url = live_server.url
    page.clock.install()  # time runs as usual until the test moves it on
    token = log_in(page, url)
    name = unique_name("pages")
    make_service(live_server, token, name)
    api_path = re.compile(r"/api/")
    health = page.locator("[data-testid=health-ok], [data-testid=health-problems]")  # other tests' containers count
    stale = page.get_by_test_id("stale")
    for path, loaded in (("/health/", health), ("/images/", page.get_by_test_id("images")),
                         ("/gitops/", page.get_by_test_id("repository"))):
        page.goto(f"{url}{path}")
        expect(loaded).to_be_visible(timeout=30_000)
        page.route(api_path, lambda route: route.abort("connectionrefused"))
        # Its next refresh (every 5 to 15 s) fails: the page stays, marked stale.
        fast_forward_until(page, lambda: stale.count() > 0, f"{path} marked stale")
        expect(stale).to_contain_text(re.compile(r"Last updated \d\d:\d\d · sdmd does not answer, reconnecting…"))
        expect(loaded).to_be_visible()
        expect(page.get_by_test_id("error-panel")).to_have_count(0)
        if path == "/health/":
            shot(page, "18-21-health-stale")
        page.unroute(api_path)
        fast_forward_until(page, lambda: stale.count() == 0, f"{path} fresh again")
