"""End-to-end fixtures: a real sdmd (uvicorn in a thread, serving the built UI) over real Docker, a private
redis-server with a real `sdmd worker`, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from sdmd.app import STATIC_DIR, create_app
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.live.server import Server as LiveUvicornServer  # ends open event streams on stop
from tests.support import wait_until
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def built_ui() -> Path:
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail(f"the web UI is not built in {STATIC_DIR}: run scripts/build_web.sh (scripts/test.sh does)")
    return STATIC_DIR


@pytest.fixture
def database_url(sqlite_database_url: str) -> str:
    # The browser tests exercise the UI; the API's database behaviour is covered on both databases elsewhere.
    return sqlite_database_url


@pytest.fixture(scope="session")
def redis_socket() -> Iterator[str]:
    """A redis-server of our own on a unix socket, so no test touches anyone else's Redis."""
    directory = tempfile.mkdtemp(prefix="sdmd-web-redis-")
    path = os.path.join(directory, "redis.sock")
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", path, "--unixsocketperm", "700",
                             "--save", "", "--appendonly", "no", "--databases", "64", "--dir", directory],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: os.path.exists(path), timeout=15, what="private redis-server")
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


_redis_db = iter(range(1, 64))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_socket: str, built_ui: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                    web_dir=built_ui, redis_url=f"unix://{redis_socket}?db={next(_redis_db)}",
                    health_grace_seconds=1.0, health_timeout_seconds=20.0, update_wait_seconds=60.0)


class LiveServer:
    def __init__(self, url: str, core: Core, server: uvicorn.Server | None = None) -> None:
        self.url = url
        self.core = core
        self.server = server  # live: tests reset its connections to play a network drop

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=120)

    def drop_connections(self) -> None:
        """Resets every open connection (event streams too), as a network drop or a server going away does."""
        assert self.server is not None
        for connection in list(self.server.server_state.connections):
            connection.transport.abort()


@pytest.fixture
def live_server(core: Core) -> Iterator[LiveServer]:
    ensure_user(core)
    port = free_port()
    server = LiveUvicornServer(uvicorn.Config(create_app(core=core), host="127.0.0.1", port=port,
                                              log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="sdmd-e2e", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="sdmd to listen")
        yield LiveServer(f"http://127.0.0.1:{port}", core, server)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def worker(settings: Settings) -> Iterator[subprocess.Popen]:
    """A real `sdmd worker` (update now runs through it), sharing the test's database, stacks and Redis."""
    env = dict(os.environ, SDMD_DATABASE_URL=settings.resolved_database_url, SDMD_STACKS_DIR=str(settings.stacks_dir),
               SDMD_DATA_DIR=str(settings.data_dir), SDMD_REDIS_URL=settings.resolved_redis_url,
               SDMD_HEALTH_GRACE_SECONDS="1", SDMD_HEALTH_TIMEOUT_SECONDS="20",
               SDMD_DOCKER_TIMEOUT_SECONDS=str(settings.docker_timeout_seconds))
    proc = subprocess.Popen([sys.executable, "-m", "sdmd.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: run scripts/provision.sh browser")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# Every Content-Security-Policy violation in any page is reported to the test, from two sources: the
# securitypolicyviolation event (installed before any page script, outside the page's CSP) and Chromium's
# console messages about refused scripts, styles, frames or connections.
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  window.__sdmdCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}` + (e.sample ? ` (${e.sample})` : ""));
});"""


def _is_csp_message(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def new_context(browser: Browser) -> tuple[BrowserContext, list[str]]:
    """A browser context whose pages report every CSP violation into the returned list."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, color_scheme="light",
                                  timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(30_000)
    violations: list[str] = []
    context.expose_binding("__sdmdCspViolation",
                           lambda source, text: violations.append(f"{source['page'].url}: {text}"))
    context.add_init_script(CSP_LISTENER)
    context.on("console", lambda msg: _is_csp_message(msg.text) and violations.append(f"console: {msg.text}"))
    return context, violations


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page for every web test; the test fails on an uncaught page error or any CSP violation."""
    context, violations = new_context(browser)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    # Requests that failed below HTTP (net::ERR_*), with Chromium's reason: printed, so a failing test's
    # report shows them (pytest shows a test's output only when it fails).
    failed: list[str] = []
    p.on("requestfailed", lambda r: failed.append(f"{r.method} {r.url}: {r.failure}"))
    yield p
    if failed:
        print("requests that failed in the browser:\n  " + "\n  ".join(failed[-40:]))
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, url: str) -> str:
    """Logs in through the form; returns the access token the page keeps."""
    page.goto(f"{url}/login/")
    page.fill("#username", TEST_EMAIL)
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{url}/")
    return token_of(page)


def token_of(page: Page) -> str:
    return json.loads(page.evaluate("sessionStorage.getItem('sdmd.session')"))["access_token"]


def confirm_preview(page: Page):
    """A compose save or create first shows what sdmd would write (a dry run); confirms it. Returns the dialog."""
    dialog = page.get_by_test_id("save-preview")
    expect(dialog).to_be_visible(timeout=60_000)
    expect(dialog.get_by_test_id("diff")).to_be_visible()
    dialog.get_by_test_id("preview-confirm").click()
    expect(dialog).to_have_count(0)
    return dialog
