"""Settings → Notifications in a real browser against a real sdmd: channels to a real HTTP receiver run by the
test (Apprise json://), a test message that arrives, one to a receiver that is down with Apprise's error on the
page, a real container alert delivered by a real `sdmd worker`, edit (the URL stays write-only) and remove."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.notifications.receivers import JsonReceiver, free_port
from tests.support import IMAGE_V1
from tests.web.conftest import LiveServer, log_in, shot

SECRET = "s3cret-pass"
SERVER = 30_000  # ms: what waits for sdmd (Apprise checks, sends) on a loaded machine


def toast(page: Page, text: str):
    return page.get_by_test_id("toast").filter(has_text=text)


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    r = JsonReceiver().start()
    yield r
    r.stop()


def _add_channel(page: Page, name: str, url: str, *, groups: list[str] = (), events: list[str] = ()) -> None:
    page.get_by_test_id("add-channel").click()
    form = page.get_by_test_id("channel-form")
    expect(form.get_by_test_id("events-all")).to_be_checked()  # a new channel hears everything by default
    page.fill("#ch-name", name)
    page.fill("#ch-url", url)
    if groups or events:
        form.get_by_test_id("events-all").uncheck()
        for group in groups:
            form.get_by_test_id(f"events-group-{group}").check()
        for event in events:
            form.get_by_test_id(f"event-{event}").check()
    page.get_by_test_id("channel-submit").click()
    expect(form).to_have_count(0, timeout=SERVER)
    expect(toast(page, f"Added {name}")).to_be_visible(timeout=SERVER)


def test_channels_test_deliveries_and_failures(page: Page, live_server: LiveServer, worker, receiver: JsonReceiver,
                                               unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    api = live_server.api(token)
    page.get_by_role("link", name="Settings").first.click()
    page.wait_for_url(f"{url}/settings/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Notifications").click()
    page.wait_for_url(f"{url}/settings/notifications/")
    expect(page.get_by_test_id("channels-empty")).to_be_visible()
    assert page.title() == "Notifications · Settings · sdmd"

    # Bad input is said in the form and stores nothing.
    page.get_by_test_id("add-channel").click()
    page.get_by_test_id("channel-submit").click()
    form = page.get_by_test_id("channel-form")
    expect(form).to_contain_text("a name is required")
    expect(form).to_contain_text("an Apprise URL is required")
    page.fill("#ch-name", "bad")
    page.fill("#ch-url", "http://example.com/hook")
    page.get_by_test_id("channel-submit").click()
    expect(form.get_by_test_id("error-panel")).to_contain_text("invalid notification URL", timeout=SERVER)
    form.get_by_role("button", name="Cancel").click()
    assert api.get("/api/notifications/channels").json() == []

    # A channel with a password in its URL: shown masked only, everywhere.
    hook = f"json://ops:{SECRET}@127.0.0.1:{receiver.port}/hook"
    _add_channel(page, "ops hook", hook, groups=["update"], events=["container.died"])
    ops = page.locator("[data-testid=channel-row][data-name='ops hook']")
    expect(ops.get_by_test_id("channel-kind")).to_have_text("JSON webhook")
    expect(ops.get_by_test_id("channel-url")).to_have_text(f"json://ops:****@127.0.0.1:{receiver.port}/hook")
    expect(ops.get_by_test_id("channel-events")).to_contain_text("all updates, container died")
    expect(ops.get_by_test_id("channel-enabled-badge")).to_have_text("enabled")
    expect(ops.get_by_test_id("channel-last")).to_contain_text("nothing sent yet")
    [stored] = api.get("/api/notifications/channels").json()
    assert stored["events"] == ["update.*", "container.died"]

    # Test: it really arrives, with the stored secret, and the page says so.
    ops.get_by_test_id("channel-test").click()
    expect(ops.get_by_test_id("test-outcome")).to_have_text("Test delivered.", timeout=SERVER)
    [message] = receiver.wait_for(1, about="sdmd: test message")
    assert "ops hook" in message["message"]
    assert receiver.headers[0]["Authorization"] == "Basic " + base64.b64encode(f"ops:{SECRET}".encode()).decode()
    expect(ops.get_by_test_id("channel-last")).to_contain_text("sent")
    expect(ops.get_by_test_id("channel-last")).to_contain_text("sdmd: test message")
    expect(ops.get_by_test_id("channel-failure")).to_have_text("none")
    sent = page.locator("[data-testid=delivery-row][data-channel='ops hook'][data-event=test]")
    expect(sent).to_have_attribute("data-status", "sent")

    # A receiver that is down: the test says why, the row keeps the failure, the log's Failures show it.
    down_port = free_port()  # nothing listens there
    _add_channel(page, "down", f"json://127.0.0.1:{down_port}/hook", groups=["security"])
    down = page.locator("[data-testid=channel-row][data-name='down']")
    down.get_by_test_id("channel-test").click()
    expect(down.get_by_test_id("test-outcome")).to_contain_text("Test not delivered: ", timeout=SERVER)
    expect(down.get_by_test_id("test-outcome")).to_contain_text("Connection error")
    expect(down.get_by_test_id("channel-failure-error")).to_contain_text("Connection error")
    expect(down.get_by_test_id("channel-last").get_by_test_id("delivery-status")).to_have_text("failed")
    page.get_by_test_id("deliveries-failed").click()
    failed = page.get_by_test_id("delivery-row")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("data-channel", "down")
    expect(failed.get_by_test_id("delivery-error")).to_contain_text("Connection error")
    page.get_by_test_id("deliveries-all").click()
    shot(page, "28-settings-notifications")

    # A real alert: a container that exits with code 1 is told to "ops hook" by the worker, and the page shows it.
    name = unique_name("crash")
    r = api.post("/api/services", json={"name": name, "image": IMAGE_V1, "restart": "no",
                                        "command": ["sh", "-c", "sleep 1; exit 1"]})
    assert r.status_code == 201, r.text
    [alert] = receiver.wait_for(1, timeout=60, about=name)
    assert alert["title"].endswith("exited with code 1")
    died = page.locator("[data-testid=delivery-row][data-channel='ops hook'][data-event='container.died']").filter(
        has_text=name)
    expect(died).to_have_attribute("data-status", "sent", timeout=30_000)  # the page polls every 10 s

    # Edit: the stored URL is shown masked only, an empty URL field keeps it; events and enabled change.
    ops.get_by_test_id("channel-edit").click()
    form = page.get_by_test_id("channel-form")
    expect(form.get_by_test_id("stored-url")).to_have_text(f"json://ops:****@127.0.0.1:{receiver.port}/hook")
    expect(page.locator("#ch-url")).to_have_value("")
    expect(form.get_by_test_id("event-container.died")).to_be_checked()
    form.get_by_test_id("event-container.died").uncheck()
    form.get_by_test_id("channel-enabled").click()
    page.get_by_test_id("channel-submit").click()
    expect(toast(page, "Saved ops hook")).to_be_visible(timeout=SERVER)
    expect(ops.get_by_test_id("channel-enabled-badge")).to_have_text("disabled")
    expect(ops.get_by_test_id("channel-events")).to_have_text("all updates")
    edited = api.get("/api/notifications/channels/ops hook").json()
    assert (edited["events"], edited["enabled"]) == (["update.*"], False)
    retest = api.post(f"/api/notifications/channels/{edited['id']}/test").json()
    assert retest["delivered"] is True, retest  # the stored secret was kept
    assert receiver.headers[-1]["Authorization"] == receiver.headers[0]["Authorization"]
    assert SECRET not in page.content()

    # Remove, with a confirmation; its deliveries stay in the log.
    down.get_by_test_id("channel-remove").click()
    page.get_by_test_id("confirm-action").click()
    expect(toast(page, "Removed down")).to_be_visible(timeout=SERVER)
    expect(page.get_by_test_id("channel-row")).to_have_count(1)
    kept = page.locator("[data-testid=delivery-row][data-channel='down']")
    expect(kept).to_contain_text("removed")
    assert [c["name"] for c in api.get("/api/notifications/channels").json()] == ["ops hook"]
