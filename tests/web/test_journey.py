"""The day-to-day journey in a real browser against a real sdmd and Docker: log in, create a service from
the form, see it running, read its logs, edit its YAML (a validation error, a concurrent change, a good
save), restart, update now, add a schedule, delete it, and find all of it in the audit log."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1
from tests.web.conftest import LiveServer, confirm_preview, free_port, log_in, shot

# busybox as PID 1 ignores SIGTERM; the trap lets restart and delete stop it at once.
COMMAND = """sh -c "echo hello-from-sdmd-web; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait\""""


def toast(page: Page, text: str):
    return page.get_by_test_id("toast").filter(has_text=text)


def test_service_journey(page: Page, live_server: LiveServer, worker, unique_name) -> None:
    url = live_server.url
    name = unique_name("web")
    host_port = free_port()

    # Not logged in: the services page sends us to the login form with a reason.
    page.goto(f"{url}/")
    page.wait_for_url(re.compile(r"/login/\?reason=required"))
    expect(page.get_by_test_id("login-reason")).to_contain_text("Please log in")
    shot(page, "01-login")
    token = log_in(page, url)
    expect(page.get_by_role("heading", name="Services")).to_be_visible()

    # Create from the one-container form.
    page.get_by_role("link", name="New service").first.click()
    page.wait_for_url(f"{url}/services/new/")
    page.fill("#f-name", name)
    page.fill("#f-image", IMAGE_V1)
    page.fill("#f-ports", f"127.0.0.1:{host_port}:8080")
    page.fill("#f-environment", "GREETING=hello")
    page.fill("#f-command", COMMAND)
    shot(page, "02-new-service")
    page.get_by_test_id("create-service").click()
    confirm_preview(page)
    page.wait_for_url(re.compile(r"/service/\?id=svc"), timeout=120_000)
    service_id = page.url.split("id=")[1].split("&")[0]
    expect(page.get_by_test_id("service-name")).to_have_text(name)
    expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "running", timeout=60_000)
    expect(page.get_by_role("link", name=re.compile(f"{host_port}→8080"))).to_have_attribute(
        "href", f"http://127.0.0.1:{host_port}/")
    expect(page.get_by_test_id("containers")).to_contain_text(IMAGE_V1)
    shot(page, "03-service-detail")

    # The home list shows it running, with its port.
    page.goto(f"{url}/")
    row = page.locator(f"[data-testid=service-row][data-name='{name}']")
    expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", "running")
    expect(row).to_contain_text(f"{host_port}→8080")
    shot(page, "04-services")
    row.get_by_test_id("service-link").click()

    # Logs: the line the container printed, search, follow.
    page.get_by_test_id("tab-logs").click()
    logs = page.get_by_test_id("logs")
    expect(logs).to_contain_text("hello-from-sdmd-web", timeout=30_000)
    page.get_by_test_id("log-search").fill("no-such-text")
    expect(logs).to_contain_text("No line matches the search.")
    page.get_by_test_id("log-search").fill("hello-from")
    expect(logs.locator("mark")).to_have_text("hello-from")
    shot(page, "05-logs")

    # Compose editor: a file compose rejects is refused with the error marked in the editor.
    page.get_by_test_id("tab-compose").click()
    editor = page.locator(".cm-content")
    expect(editor).to_contain_text("GREETING")
    api = live_server.api(token)
    original = api.get(f"/api/services/{service_id}").json()["compose"]
    invalid = original.replace("    image:", "    foo: 1\n    image:", 1)
    assert invalid != original
    editor.fill(invalid)
    page.get_by_test_id("save-compose").click()
    expect(page.get_by_test_id("error-message")).to_have_text("invalid compose file", timeout=60_000)
    expect(page.locator(".cm-lintRange-error").first).to_be_visible()
    page.get_by_text("technical details").click()
    expect(page.get_by_test_id("error-details")).to_contain_text("Additional property foo is not allowed")
    shot(page, "06-compose-validation-error")

    # Someone else saves meanwhile: our save is refused with a clear message; Reload brings their version.
    current = api.get(f"/api/services/{service_id}")
    theirs = current.json()["compose"].replace("GREETING: hello", "GREETING: theirs")
    r = api.put(f"/api/services/{service_id}", content=theirs,
                headers={"content-type": "application/yaml", "If-Match": current.headers["ETag"]})
    assert r.status_code == 200, r.text
    editor.fill(original.replace("GREETING: hello", "GREETING: mine"))
    page.get_by_test_id("save-compose").click()
    expect(page.get_by_test_id("conflict")).to_contain_text("changed meanwhile", timeout=60_000)
    shot(page, "07-compose-conflict")
    page.get_by_test_id("reload").click()
    expect(editor).to_contain_text("GREETING: theirs")
    expect(page.get_by_test_id("conflict")).to_have_count(0)

    # A good edit saves and applies.
    editor.fill(theirs.replace("GREETING: theirs", "GREETING: world"))
    page.get_by_test_id("save-compose").click()
    confirm_preview(page)
    expect(toast(page, "Saved and applied")).to_be_visible(timeout=90_000)
    assert "GREETING: world" in api.get(f"/api/services/{service_id}").json()["compose"]

    # Restart, with confirmation.
    page.get_by_test_id("restart").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, f"Restart: {name}")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running", timeout=30_000)

    # Update now, through the real worker: the registry has nothing newer for this tag.
    page.get_by_role("button", name="Update now").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, f"Update now: {name}")).to_contain_text("up to date", timeout=90_000)

    # A weekly schedule, shown with its next run; then disabled.
    page.get_by_test_id("tab-schedules").click()
    page.get_by_test_id("add-schedule").click()
    page.select_option("#sch-frequency", "weekly")
    page.select_option("#sch-day", "sunday")
    page.fill("#sch-time", "03:00")
    page.fill("#sch-tz", "Europe/Paris")
    shot(page, "08-schedule-form")
    page.get_by_test_id("save-schedule").click()
    schedule = page.get_by_test_id("schedule-row")
    expect(schedule).to_contain_text("every Sunday at 03:00 (Europe/Paris)")
    expect(schedule.get_by_test_id("next-run")).to_contain_text(re.compile(r"Sun \d+ \w+, 03:00"))
    expect(schedule.get_by_test_id("next-run")).to_contain_text("your time")  # the browser is in Berlin
    shot(page, "09-service-schedules")
    schedule.get_by_role("button", name="Runs of this schedule").click()
    expect(page.get_by_text("It has not run yet.")).to_be_visible()
    page.keyboard.press("Escape")
    schedule.get_by_role("button", name="Edit schedule").click()
    expect(page.locator("#sch-day")).to_have_value("sunday")
    page.fill("#sch-time", "04:30")
    page.get_by_test_id("save-schedule").click()
    expect(schedule).to_contain_text("every Sunday at 04:30 (Europe/Paris)")
    schedule.get_by_test_id("schedule-enabled").click()
    expect(schedule).to_contain_text("disabled")
    page.goto(f"{url}/schedules/")
    expect(page.get_by_test_id("schedule-row")).to_contain_text(name)
    shot(page, "09b-schedules")

    # Recent activity on the detail page.
    page.goto(f"{url}/service/?id={service_id}&tab=activity")
    expect(page.locator("[data-testid=audit-entry][data-action='service.restart']")).to_have_count(1)
    shot(page, "10-service-activity")

    # Delete: the name must be typed first.
    page.goto(f"{url}/service/?id={service_id}")
    page.get_by_test_id("delete").click()
    confirm = page.get_by_test_id("confirm-action")
    expect(confirm).to_be_disabled()
    page.get_by_test_id("confirm-name").fill(name[:-1])
    expect(confirm).to_be_disabled()
    page.get_by_test_id("confirm-name").fill(name)
    confirm.click()
    page.wait_for_url(f"{url}/", timeout=90_000)
    expect(page.locator(f"[data-testid=service-row][data-name='{name}']")).to_have_count(0)
    assert api.get(f"/api/services/{service_id}").status_code == 404

    # Every step is in the audit log, newest first.
    page.goto(f"{url}/audit/?limit=100")
    entries = page.get_by_test_id("audit-entry")
    expect(entries.first).to_be_visible()
    actions = entries.evaluate_all("els => els.map(e => e.dataset.action)")
    for action in ("auth.login", "service.create", "service.update", "service.restart", "update.run",
                   "schedule.create", "schedule.update", "service.delete"):
        assert action in actions, (action, actions)
    assert actions.index("service.delete") < actions.index("service.create")
    # The invalid file and the refused save were stopped by their previews (dry runs), which write nothing,
    # not even an audit record: no failed update is logged.
    failed_update = page.locator("[data-testid=audit-entry][data-action='service.update']", has_text="error")
    expect(failed_update).to_have_count(0)
    shot(page, "11-audit")

    # Filters go through the form and the query string.
    page.fill("#a-action", "service.delete")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(re.compile(r"action=service\.delete"))
    expect(page.get_by_test_id("audit-entry")).to_have_count(1)
    expect(page.get_by_test_id("audit-entry")).to_contain_text(name)

    # Pagination: two entries a page, older and newer.
    page.goto(f"{url}/audit/?limit=2")
    expect(page.get_by_test_id("audit-entry")).to_have_count(2)
    ids = 'els => els.map(e => e.dataset.id)'
    first_page = page.get_by_test_id("audit-entry").evaluate_all(ids)
    page.get_by_test_id("older").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(page.get_by_test_id("audit-entry").first).not_to_have_attribute("data-id", first_page[0])
    expect(page.get_by_test_id("audit-entry")).to_have_count(2)
    second_page = page.get_by_test_id("audit-entry").evaluate_all(ids)
    assert not set(second_page) & set(first_page)
    assert max(map(int, second_page)) < min(map(int, first_page))  # older entries, newest first
    page.get_by_role("button", name="Newer").click()
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(page.get_by_test_id("audit-entry").first).to_have_attribute("data-id", first_page[0])
