"""Benchmark: navigation to a rendered list of N services in headless Chromium, beside GET /api/services.

Run: .venv/bin/python -m tests.bench.bench_web_list [--services 100] [--runs 5]
Not part of the test suite. Needs the built UI (scripts/build_web.sh), Docker, the registry's test image
and /usr/bin/chromium (scripts/provision.sh). Creates N real one-container services, removes them after.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from sdmd.app import STATIC_DIR, create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.support import IMAGE_V1, SLEEPER, remove_projects, wait_until
from tests.support_auth import ensure_user
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port

PREFIX = "wbench" + secrets.token_hex(2)

# Records, relative to navigation start, when the list first holds `want` managed rows.
RENDER_PROBE = """
want => {
  const done = () => document.querySelectorAll('[data-testid=service-list] [data-testid=service-row]').length >= want;
  new MutationObserver((_, obs) => {
    if (done()) { window.__listRendered = performance.now(); obs.disconnect(); }
  }).observe(document, { childList: true, subtree: true });
}
"""


# Where the time goes: HTML and scripts loaded, the list call's start and end (ms from navigation start).
TIMING = """
(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const call = performance.getEntriesByType('resource').find(e => new URL(e.name).pathname === '/api/services');
  return { dom_ready: nav.domContentLoadedEventEnd, fetch_start: call.startTime, fetch_end: call.responseEnd,
           fetch: call.responseEnd - call.requestStart, rendered: window.__listRendered };
})()
"""


def serve(core: Core) -> tuple[uvicorn.Server, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(core=core), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    wait_until(lambda: server.started, timeout=30, what="sdmd")
    return server, f"http://127.0.0.1:{port}"


def create_services(client: httpx.Client, count: int) -> None:
    # network_mode none: a network per project would exhaust Docker's default address pools (~30).
    def one(i: int) -> None:
        r = client.post("/api/services", json={"name": f"{PREFIX}-s{i:03d}", "image": IMAGE_V1, **SLEEPER,
                                                "network_mode": "none"})
        if r.status_code != 201:
            raise RuntimeError(f"create {i}: {r.status_code} {r.text}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(count)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (STATIC_DIR / "index.html").is_file():
        raise SystemExit("build the UI first: scripts/build_web.sh")

    tmp = Path(tempfile.mkdtemp(prefix="sdmd-webbench-"))
    core = Core(Settings(data_dir=tmp / "data", stacks_dir=tmp / "stacks", web_dir=STATIC_DIR))
    core.settings.ensure_dirs()
    core.db.migrate()
    ensure_user(core)
    tokens = core.auth.issue_local_session(email="tester@example.com")
    server, url = serve(core)
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=300)
    try:
        started = time.perf_counter()
        create_services(client, args.services)
        print(f"created {args.services} services in {time.perf_counter() - started:.1f} s")
        total = len(client.get("/api/services").json())

        api_ms = []
        for _ in range(args.runs):
            t = time.perf_counter()
            client.get("/api/services").raise_for_status()
            api_ms.append((time.perf_counter() - t) * 1000)

        session = json.dumps({"access_token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                              "expires_at": None})
        rendered, fetched, phases, warm = [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})  # cold cache each run
                context.add_init_script(f"sessionStorage.setItem('sdmd.session', {json.dumps(session)});")
                context.add_init_script(f"({RENDER_PROBE})({args.services});")
                page = context.new_page()
                page.goto(f"{url}/")
                page.wait_for_function("window.__listRendered !== undefined", timeout=60_000)
                rendered.append(page.evaluate("window.__listRendered"))
                timing = page.evaluate(TIMING)
                fetched.append(timing["fetch"])
                phases.append(timing)
                # The same tab navigating again: scripts come from the browser's cache.
                page.goto(f"{url}/audit/")
                page.goto(f"{url}/")
                page.wait_for_function("window.__listRendered !== undefined", timeout=60_000)
                warm.append(page.evaluate("window.__listRendered"))
                context.close()
            browser.close()
        budget = subprocess.run(["node", str(ROOT / "web/scripts/first-load-js.mjs"), str(STATIC_DIR / "index.html")],
                                capture_output=True, text=True, check=True)
        print(f"services in the list: {total} ({args.services} managed, the rest other compose projects)")
        print(f"GET /api/services from Python:      median {statistics.median(api_ms):7.1f} ms  "
              f"(min {min(api_ms):.1f}, max {max(api_ms):.1f})")
        print(f"GET /api/services inside the page:  median {statistics.median(fetched):7.1f} ms")
        print(f"navigation → {args.services} rows rendered:  median {statistics.median(rendered):7.1f} ms  "
              f"(min {min(rendered):.1f}, max {max(rendered):.1f}), cold cache, {args.runs} runs")
        print(f"navigation → {args.services} rows rendered:  median {statistics.median(warm):7.1f} ms  "
              f"(min {min(warm):.1f}, max {max(warm):.1f}), warm cache")
        for key in ("dom_ready", "fetch_start", "fetch_end", "rendered"):
            print(f"  {key:12s} median {statistics.median(p[key] for p in phases):7.1f} ms after navigation start")
        print(f"first-load JS of the services page: {json.loads(budget.stdout)['total_gzip_kb']} KB gzipped")
    finally:
        client.close()
        server.should_exit = True
        remove_projects(PREFIX)


if __name__ == "__main__":
    main()
