"""Live, in Chromium against a real sdmd and Docker: the progress panel (first event after the click), live
logs (a line written by a container, and a dropped connection that loses and repeats nothing), state pushed
(a container killed from the shell), stats, container actions and inspect, and the terminal (echo hi)."""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import time

from playwright.sync_api import Page, expect

from tests.support import IMAGE_V1, docker_api, wait_until
from tests.web.conftest import LiveServer, confirm_preview, free_port, log_in, shot

TICKER = ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick-$$i; sleep 0.25; done"]
FIGURES: dict[str, list[float]] = {}


def create(live_server: LiveServer, token: str, name: str, services: dict | None = None) -> dict:
    with live_server.api(token) as api:
        r = api.post("/api/services", json={"name": name, "services": services or {
            "app": {"image": IMAGE_V1, "init": True, "command": TICKER}}})
        assert r.status_code == 201, r.text
        return r.json()


def record(name: str, value: float) -> None:
    FIGURES.setdefault(name, []).append(round(value, 1))
    print(f"\n[live figure] {name}: {value:.1f} ms")


def watch_text(page: Page, selector: str, marker: str) -> None:
    """Notes in window.__seen[marker] the moment (Date.now()) an element's text first contains marker."""
    page.evaluate("""([selector, marker]) => {
        window.__seen = window.__seen || {};
        const el = document.querySelector(selector);
        const check = () => {
            if (!window.__seen[marker] && el.textContent.includes(marker)) window.__seen[marker] = Date.now();
        };
        new MutationObserver(check).observe(el, {childList: true, subtree: true, characterData: true});
        check();
    }""", [selector, marker])


def seen_at(page: Page, marker: str) -> float:
    return wait_until(lambda: page.evaluate("m => (window.__seen || {})[m] || 0", marker), timeout=20,
                      what=f"{marker} in the page")


def test_progress_panel_restart_and_delete(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("pp")
    svc = create(live_server, token, name)
    page.goto(f"{url}/service/?id={svc['id']}")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running")
    for attempt in range(3):
        page.get_by_test_id("restart").click()
        page.get_by_test_id("confirm-action").click()
        expect(page.get_by_test_id("progress-op")).to_have_count(attempt + 1)
        op = page.get_by_test_id("progress-op").first  # the newest
        expect(op).not_to_have_attribute("data-state", "running", timeout=60_000)
        assert op.get_attribute("data-state") == "ok", f"restart {attempt + 1} failed: {op.inner_text()}"
        record("progress first event after the click (restart)", float(op.get_attribute("data-first-event-ms")))
        if attempt == 0:
            panel = page.get_by_test_id("progress-panel")
            expect(panel.locator(f"[data-testid=progress-object][data-name='{name}-app-1']")).to_have_attribute(
                "data-status", "Started")
            expect(panel.get_by_text("docker compose restart")).to_be_visible()
            page.get_by_test_id("progress-keep-open").click()  # keep it open: it stays after success
            shot(page, "live-01-progress-restart")
        time.sleep(0.5)
    page.wait_for_timeout(7000)  # longer than the auto-close: pinned, it is still open
    expect(page.get_by_test_id("progress-panel")).to_be_visible()
    assert page.get_by_test_id("progress-op").count() == 3

    # A failing save ends with compose's own reason in the panel.
    compose = live_server.api(token).get(f"/api/services/{svc['id']}").json()["compose"]
    page.get_by_test_id("tab-compose").click()
    page.locator(".cm-content").fill(compose.replace(IMAGE_V1, "127.0.0.1:5000/sdmd-test/does-not-exist:1"))
    page.get_by_test_id("save-compose").click()
    confirm_preview(page)
    failed = page.locator("[data-testid=progress-op][data-state=error]")
    expect(failed).to_have_count(1, timeout=90_000)
    expect(failed.get_by_test_id("progress-error")).to_contain_text("was not found in its registry")
    expect(failed.get_by_test_id("progress-error")).to_contain_text("does-not-exist")
    shot(page, "live-02-progress-error")

    # Delete: the panel follows to the list and keeps the steps.
    page.goto(f"{url}/service/?id={svc['id']}")
    page.get_by_test_id("delete").click()
    page.get_by_test_id("confirm-name").fill(name)
    page.get_by_test_id("confirm-action").click()
    page.wait_for_url(f"{url}/", timeout=90_000)
    deleted = page.locator(f"[data-testid=progress-op][data-title='Delete {name}']")
    expect(deleted).to_have_attribute("data-state", "ok")
    expect(deleted.locator(f"[data-testid=progress-object][data-name='{name}-app-1']")).to_have_attribute(
        "data-status", "Removed")
    shot(page, "live-03-progress-delete")


def test_live_logs_line_latency_and_a_dropped_connection(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("lg")
    svc = create(live_server, token, name)
    page.goto(f"{url}/service/?id={svc['id']}&tab=logs")
    logs = page.get_by_test_id("logs")
    expect(logs).to_contain_text("tick-", timeout=30_000)
    expect(page.get_by_test_id("log-status")).to_contain_text("live")
    api = docker_api()
    try:
        for n in range(3):
            marker = f"written-by-the-container-{n}"
            watch_text(page, "[data-testid=logs]", marker)
            exec_id = api.exec_create(f"{name}-app-1", ["sh", "-c", f"echo {marker} > /proc/1/fd/1"])["Id"]
            written = time.time() * 1000
            api.exec_start(exec_id)
            record("log line written -> shown in the browser", seen_at(page, marker) - written)
    finally:
        api.close()
    shot(page, "live-04-logs-follow")

    # The network drops (every connection of the browser reset), the stream reconnects with its cursor.
    before = ticks(page)
    live_server.drop_connections()
    wait_until(lambda: ticks(page)[-1:] > before[-1:] and len(ticks(page)) > len(before) + 8, timeout=30,
               what="lines after the reconnect")
    seen = ticks(page)
    assert seen == list(range(seen[0], seen[0] + len(seen))), "a line was lost or repeated"
    expect(page.get_by_test_id("log-status")).to_contain_text("live")

    # One container, and a download of the logs as a file.
    with page.expect_download() as download:
        page.get_by_test_id("log-download").click()
    path = download.value.path()
    with open(path) as f:
        text = f.read()
    assert re.search(rf"{name}-app-1 \| \S+ tick-1\n", text) and download.value.suggested_filename.endswith(".log")


def ticks(page: Page) -> list[int]:
    text = page.get_by_test_id("logs").inner_text()
    return [int(n) for n in re.findall(r"tick-(\d+)", text)]


def test_state_pushed_stats_actions_and_inspect(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("st")
    create(live_server, token, name, {"app": {"image": IMAGE_V1, "init": True, "command": TICKER},
                                      "db": {"image": IMAGE_V1, "init": True, "command": ["sleep", "3600"],
                                             "environment": {"DB_PASSWORD": "hunter2-secret"}}})
    page.goto(f"{url}/")
    row = page.locator(f"[data-testid=service-row][data-name='{name}']")
    expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", "running")
    expect(row.get_by_test_id("service-usage")).to_contain_text("CPU", timeout=20_000)  # stats on the list
    page.wait_for_timeout(500)
    # Killed from the shell: the open page shows it without a reload and without polling.
    page.evaluate("""name => {
        const row = document.querySelector(`[data-testid=service-row][data-name='${name}']`);
        const badge = row.querySelector('[data-testid=status-badge]');
        new MutationObserver(() => {
            if (badge.dataset.status === 'partial' && !window.__killedSeen) window.__killedSeen = Date.now();
        }).observe(badge, {attributes: true});
    }""", name)
    typed = time.time() * 1000
    subprocess.run(["docker", "kill", f"{name}-app-1"], check=True, capture_output=True, timeout=30)
    killed = time.time() * 1000  # `docker kill` returned: the daemon has killed it
    expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", "partial", timeout=10_000)
    seen = page.evaluate("() => window.__killedSeen")
    record("container killed from the shell -> shown in the open page (from the command's start)", seen - typed)
    record("container killed from the shell -> shown in the open page (from the command's return)", seen - killed)
    page.wait_for_timeout(2500)  # the refetch after the event (server-derived fields) agrees with it
    expect(row.get_by_test_id("status-badge")).to_have_attribute("data-status", "partial")
    shot(page, "live-05-state-pushed")

    # The detail page: per-container actions, stats with a chart, inspect with masked values.
    row.get_by_test_id("service-link").click()
    app = page.locator(f"[data-testid=container-row][data-name='{name}-app-1']")
    expect(app).to_have_attribute("data-state", "exited")
    app.get_by_test_id("container-start").click()
    expect(app).to_have_attribute("data-state", "running", timeout=30_000)
    stats = page.get_by_test_id("stats")
    expect(stats).to_have_attribute("data-live", "true", timeout=20_000)
    expect(stats.get_by_test_id("stats-row")).to_have_count(2, timeout=20_000)
    wait_until(lambda: int(stats.get_by_test_id("stats-cpu-chart").get_attribute("data-points")) >= 3, timeout=20,
               what="three samples in the chart")
    for metric in ("net", "disk"):  # the service's network and disk rates, charted beside CPU and memory
        expect(stats.get_by_test_id(f"stats-{metric}")).to_contain_text("/s")
        assert int(stats.get_by_test_id(f"stats-{metric}-chart").get_attribute("data-points")) >= 3
    shot(page, "live-06-stats")
    db = page.locator(f"[data-testid=container-row][data-name='{name}-db-1']")
    db.get_by_test_id("container-pause").click()
    expect(db).to_have_attribute("data-state", "paused", timeout=30_000)
    db.get_by_test_id("container-unpause").click()
    expect(db).to_have_attribute("data-state", "running", timeout=30_000)
    db.get_by_test_id("container-inspect").click()
    expect(page.get_by_test_id("inspect-json")).to_contain_text("DB_PASSWORD=[redacted]")
    assert "hunter2" not in page.get_by_test_id("inspect-json").inner_text()
    shot(page, "live-07-inspect")
    page.keyboard.press("Escape")
    page.get_by_test_id("service-stop").click()
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "stopped", timeout=30_000)
    page.get_by_test_id("service-start").click()
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running", timeout=30_000)


def test_terminal_echo_hi_and_another_origin_is_refused(page: Page, live_server: LiveServer, unique_name) -> None:
    url = live_server.url
    token = log_in(page, url)
    name = unique_name("tm")
    create(live_server, token, name, {"app": {"image": IMAGE_V1, "init": True, "command": ["sleep", "3600"]}})
    page.goto(f"{url}/service/?id={name}")
    page.locator(f"[data-testid=container-row][data-name='{name}-app-1']").get_by_test_id("container-terminal").click()
    page.get_by_test_id("terminal-connect").click()
    expect(page.get_by_test_id("terminal-status")).to_have_attribute("data-phase", "open", timeout=20_000)
    page.locator(".xterm-helper-textarea").focus()
    page.keyboard.type("echo hi")
    page.keyboard.press("Enter")
    rows = page.locator(".xterm-rows")
    expect(rows).to_contain_text("echo hi")
    wait_until(lambda: "hi" in [line.strip() for line in rows.inner_text().splitlines()], timeout=10,
               what="a line reading hi")
    page.keyboard.type("stty size")
    page.keyboard.press("Enter")
    wait_until(lambda: re.search(r"\n\s*\d+ \d+\s*\n", rows.inner_text().replace("\xa0", " ")), timeout=10,
               what="the terminal's size, as the shell sees it")
    shot(page, "live-08-terminal")
    execs = running_execs(f"{name}-app-1")
    assert len(execs) == 1
    page.goto(f"{url}/")  # leaving the page closes the exec
    wait_until(lambda: not running_execs(f"{name}-app-1"), timeout=15, what="the exec to end")

    # A page of another origin, with a valid token, cannot open a terminal (Origin is checked).
    other = _serve_blank()
    try:
        page.goto(other.url)
        outcome = page.evaluate("""([wsUrl, token]) => new Promise((resolve) => {
            const ws = new WebSocket(wsUrl, ['sdmd.terminal.v1', 'bearer.' + token]);
            ws.onopen = () => resolve('opened');
            ws.onclose = (e) => resolve('closed ' + e.code);
        })""", [url.replace("http://", "ws://") + f"/api/services/{name}/containers/{name}-app-1/terminal", token])
        assert outcome == "closed 1006", outcome
    finally:
        other.stop()


def running_execs(container: str) -> list[str]:
    api = docker_api()
    try:
        return [i for i in api.inspect_container(container).get("ExecIDs") or [] if api.exec_inspect(i)["Running"]]
    finally:
        api.close()


class _Blank:
    def __init__(self) -> None:
        port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), _BlankHandler)
        self.url = f"http://127.0.0.1:{port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _BlankHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>elsewhere</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def _serve_blank() -> _Blank:
    return _Blank()
