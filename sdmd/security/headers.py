"""Security headers on every response, and the web UI's Content-Security-Policy.

API answers (JSON, text) get a CSP that allows nothing at all: they are never meant to be rendered as a
page. HTML pages of the web UI get a policy built from the page itself: scripts only from 'self' plus
the SHA-256 hashes of exactly the inline scripts that page carries (Next.js inlines its RSC payload and
bootstrap scripts, sdmd its theme and early-fetch scripts), computed from the built files. No
'unsafe-inline' and no 'unsafe-eval' for scripts.

Styles: the static export writes `style="..."` attributes into its HTML, and Radix's scroll lock (dialogs)
inserts `<style>` elements at run time with measured values, which no hash can predict; styles
therefore allow 'unsafe-inline'. CSS cannot run script, and everything else stays 'self'.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), xr-spatial-tracking=(), "
                      "browsing-topics=(), clipboard-read=(), clipboard-write=(self), fullscreen=(self)")
STATIC_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": PERMISSIONS_POLICY,
    "x-frame-options": "DENY",  # for browsers older than frame-ancestors
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class _InlineScripts(HTMLParser):
    """Collects the text of every <script> without a src (exactly the characters a browser hashes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            types = [value for name, value in attrs if name == "type"]
            # JSON data blocks (type="application/json") are not executed and need no hash.
            if not types or (types[0] or "").lower() in ("", "text/javascript", "module", "application/javascript"):
                self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def inline_scripts(html: str) -> list[str]:
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def page_csp(html: str, *, extra_script_sources: tuple[str, ...] = ()) -> str:
    hashes = sorted({script_hash(s) for s in inline_scripts(html)})
    script_src = " ".join(["'self'", *extra_script_sources, *hashes])
    return "; ".join([
        "default-src 'self'",
        f"script-src {script_src}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
    ])


class PageCsp:
    """The CSP of each built HTML page, computed once per file version (path, size, mtime)."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], str]] = {}

    def for_file(self, path: Path, stat_result) -> str:
        key = (stat_result.st_size, stat_result.st_mtime_ns)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        policy = page_csp(path.read_text(encoding="utf-8", errors="replace"))
        self._cache[path] = (key, policy)
        return policy

    def warm(self, directory: Path) -> int:
        """Hash every page at startup, so the first visitor does not pay for it; returns how many."""
        pages = 0
        for path in directory.rglob("*.html"):
            self.for_file(path, path.stat())
            pages += 1
        return pages




class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response, errors included; a response's own CSP (a page) wins.

    HSTS only on HTTPS (the scheme after trusted proxies were applied): over plain HTTP it would be
    ignored, and sending it there could pin a name to HTTPS that has no certificate yet.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains" if hsts_max_age else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = API_CSP
                for name, value in STATIC_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if self.hsts and scope.get("scheme") == "https":
                    headers["strict-transport-security"] = self.hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)
