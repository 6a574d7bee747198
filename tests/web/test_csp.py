"""The web UI's Content-Security-Policy: every page's inline scripts are allowed by hash and nothing else
inline runs; the violation collector of the shared `page` fixture really sees violations."""

from __future__ import annotations

import re

import httpx

from sdmd.security.headers import inline_scripts, script_hash
from tests.support import wait_until
from tests.web.conftest import LiveServer, new_context


def _directives(policy: str) -> dict[str, list[str]]:
    return {parts[0]: parts[1:] for parts in (d.split() for d in policy.split(";") if d.strip())}


def test_every_page_allows_exactly_its_own_inline_scripts(live_server: LiveServer, built_ui) -> None:
    pages = sorted(p.relative_to(built_ui) for p in built_ui.rglob("*.html"))
    assert len(pages) >= 8
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        for rel in pages:
            url = "/" + str(rel).removesuffix("index.html")
            response = client.get(url)
            assert response.status_code == 200, url
            policy = _directives(response.headers["content-security-policy"])
            scripts = policy["script-src"]
            assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url
            hashes = {s for s in scripts if s.startswith("'sha256-")}
            assert hashes == {script_hash(s) for s in inline_scripts(response.text)}, url
            assert hashes, f"{url}: a Next.js page carries inline scripts"
            assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
        # An unknown page is the 404 page, with that page's own policy (not the API's "allow nothing").
        missing = client.get("/no/such/page/")
        assert missing.status_code == 404 and "<html" in missing.text
        scripts = _directives(missing.headers["content-security-policy"])["script-src"]
        hashes = {s for s in scripts if s.startswith("'sha256-")}
        assert hashes and hashes == {script_hash(s) for s in inline_scripts(missing.text)}
        assert missing.headers["x-content-type-options"] == "nosniff"
        api = client.get("/api/services")
        assert _directives(api.headers["content-security-policy"])["default-src"] == ["'none'"]


def test_the_collector_reports_a_blocked_inline_script(browser, live_server: LiveServer) -> None:
    context, violations = new_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.wait_for_selector("#username")
        assert not violations
        page.evaluate("""() => { const s = document.createElement("script");
                                 s.textContent = "window.__injected = 1"; document.head.appendChild(s); }""")
        wait_until(lambda: violations, timeout=10, what="a CSP violation report")
        assert page.evaluate("window.__injected") is None  # the script did not run
        assert any(re.search(r"script-src", v) for v in violations), violations
    finally:
        context.close()
