"""The audit log's paging and the schedules' words, in a real browser (issue 18, items 7, 8 and 11)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Browser, Page, expect

from sdmd.auth.identity import SCHEDULER
from sdmd.updates.cycle import run_update
from sdmd.updates.queue import redis_connection
from tests.support import IMAGE_V1, SLEEPER
from tests.web.conftest import LiveServer, log_in, shot


def make_service(live_server: LiveServer, token: str, name: str) -> str:
    r = live_server.api(token).post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def schedule(live_server: LiveServer, token: str, service_id: str, time: str = "03:00") -> dict:
    r = live_server.api(token).post("/api/schedules", json={
        "service_id": service_id, "frequency": "daily", "time_of_day": time, "timezone": "Europe/Paris",
        "mode": "check"})
    assert r.status_code == 201, r.text
    return r.json()


def ids(page: Page) -> list[str]:
    return page.get_by_test_id("audit-entry").evaluate_all("els => els.map(e => e.dataset.id)")


def test_audit_pages_live_in_the_url_and_filters_start_again(page: Page, live_server: LiveServer,
                                                             unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    service_id = make_service(live_server, token, unique_name("audit"))
    sched = schedule(live_server, token, service_id)
    for hour in ("04:00", "05:00", "06:00", "07:00"):
        r = live_server.api(token).put(f"/api/schedules/{sched['id']}", json={"time_of_day": hour})
        assert r.status_code == 200, r.text
    cursors: list[str | None] = []
    page.on("request", lambda r: cursors.append(parse_qs(urlparse(r.url).query).get("cursor", [None])[0])
            if "/api/audit?" in r.url else None)

    page.goto(f"{url}/audit/?limit=2")
    expect(page.get_by_test_id("audit-entry")).to_have_count(2)
    first = ids(page)
    page.get_by_test_id("older").click()
    page.wait_for_url(re.compile(r"limit=2&page=2&after="))
    expect(page.get_by_test_id("page-number")).to_have_text("Page 2")
    expect(page.get_by_test_id("audit-entry").first).not_to_have_attribute("data-id", first[0])
    second = ids(page)
    # The page survives a reload, and Back returns to page 1.
    page.reload()
    expect(page.get_by_test_id("page-number")).to_have_text("Page 2")
    expect(page.get_by_test_id("audit-entry").first).to_have_attribute("data-id", second[0])
    page.get_by_test_id("older").click()
    expect(page.get_by_test_id("page-number")).to_have_text("Page 3")
    page.get_by_test_id("newer").click()
    expect(page.get_by_test_id("page-number")).to_have_text("Page 2")
    expect(page.get_by_test_id("audit-entry").first).to_have_attribute("data-id", second[0])
    page.go_back()  # to page 3
    page.go_back()  # to page 2
    page.go_back()  # to page 1
    expect(page.get_by_test_id("page-number")).to_have_text("Page 1")
    expect(page.get_by_test_id("audit-entry").first).to_have_attribute("data-id", first[0])

    # Filters applied from page 2 start again from page 1, without the old cursor.
    page.get_by_test_id("older").click()
    expect(page.get_by_test_id("page-number")).to_have_text("Page 2")
    cursors.clear()
    page.fill("#a-action", "schedule.update")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(re.compile(r"action=schedule\.update&limit=2$"))
    expect(page.get_by_test_id("page-number")).to_have_text("Page 1")
    expect(page.get_by_test_id("audit-entry")).to_have_count(2)
    expect(page.locator("[data-testid=audit-entry]:not([data-action='schedule.update'])")).to_have_count(0)
    assert cursors and all(c is None for c in cursors), cursors

    # "Per page" applies at once.
    page.select_option("#a-limit", "20")
    page.wait_for_url(re.compile(r"action=schedule\.update&limit=20$"))
    expect(page.get_by_test_id("audit-entry")).to_have_count(4)
    shot(page, "18-14-audit-per-page")


def test_schedules_in_words_refreshed_after_a_run_and_named_on_delete(browser: Browser, live_server: LiveServer,
                                                                      unique_name) -> None:
    # A 12-hour locale: the time field must still read 03:00, as its 24-hour hint says.
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US",
                                  timezone_id="America/New_York")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        url = live_server.url
        token = log_in(page, url)
        name = unique_name("sched")
        service_id = make_service(live_server, token, name)
        first = schedule(live_server, token, service_id)
        schedule(live_server, token, service_id, "05:30")

        page.goto(f"{url}/schedules/")
        rows = page.get_by_test_id("schedule-row")
        expect(rows).to_have_count(2)
        # A run by the schedule, while the page is open: its outcome shows by itself, in words.
        core = live_server.core
        run = run_update(core, redis_connection(core.settings), service_id=service_id, mode="check",
                         actor=SCHEDULER, trigger="schedule", schedule_id=first["id"])
        assert run["result"] == "up_to_date", run
        result = page.get_by_test_id("last-result")
        expect(result).to_have_text("already up to date", timeout=30_000)
        expect(result).to_have_attribute("data-result", "up_to_date")
        expect(page.get_by_text("up_to_date")).to_have_count(0)
        row = rows.filter(has=result)
        row.get_by_role("button", name="Runs of this schedule").click()
        runs = page.get_by_test_id("schedule-runs")
        expect(runs).to_contain_text("already up to date")
        expect(runs).to_contain_text("check only · on schedule")
        page.keyboard.press("Escape")

        # The time field is text in HH:MM, never "03:00 AM"; a short entry is completed.
        row.get_by_role("button", name="Edit schedule").click()
        time = page.locator("#sch-time")
        assert time.get_attribute("type") in (None, "text")
        expect(time).to_have_value("03:00")
        time.fill("4")
        time.blur()
        expect(time).to_have_value("04:00")
        shot(page, "18-15-schedule-time-24h")
        page.get_by_test_id("save-schedule").click()
        expect(rows.filter(has_text="every day at 04:00 (Europe/Paris)")).to_have_count(1)

        # Deleting names the service, and focus goes to the list, not the page.
        rows.first.get_by_role("button", name="Delete schedule").click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text(f"Delete the schedule of {name}?")
        shot(page, "18-16-schedule-delete-names-service")
        page.get_by_test_id("confirm-action").click()
        expect(rows).to_have_count(1)
        expect(page.get_by_label("Schedules", exact=True)).to_be_focused()

        # Deleting the service says its schedule goes too; cancelling returns focus to Delete.
        page.goto(f"{url}/service/?id={service_id}")
        page.get_by_test_id("delete").click()
        expect(page.get_by_test_id("delete-schedules")).to_have_text("Its update schedule is deleted too.")
        schedule(live_server, token, service_id, "06:00")
        page.get_by_test_id("confirm-cancel").click()
        expect(page.get_by_test_id("delete")).to_be_focused()
        page.wait_for_timeout(16_000)  # the schedules refresh (every 15 s)
        page.get_by_test_id("delete").click()
        expect(page.get_by_test_id("delete-schedules")).to_have_text("Its 2 update schedules are deleted too.")
        page.get_by_test_id("confirm-name").fill(name)
        page.get_by_test_id("confirm-action").click()
        page.wait_for_url(f"{url}/", timeout=90_000)
        assert live_server.api(token).get("/api/schedules").json() == []
    finally:
        context.close()
