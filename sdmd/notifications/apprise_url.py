"""Apprise URLs: validate one, show it without its secrets, send one message to it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sdmd.errors import InvalidInput
from sdmd.notifications.events import ERROR, WARNING

if TYPE_CHECKING:
    import apprise

log = logging.getLogger("sdmd.notifications")

MAX_URL = 4096


def _apprise():
    """Apprise and its plugins load on the first channel the API or worker handles, not at start."""
    import apprise

    return apprise


def _plugin(url: str) -> apprise.NotifyBase | None:
    return _apprise().Apprise.instantiate(url, suppress_exceptions=True)


def validate(url: str) -> str:
    """The URL, stripped, if Apprise can send to it; else 422 with Apprise's own reason."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("invalid notification URL", "url: an Apprise URL is required, e.g. ntfy://ntfy.sh/topic")
    if len(url) > MAX_URL:
        raise InvalidInput("invalid notification URL", f"url: at most {MAX_URL} characters")
    with _apprise().LogCapture(level=logging.WARNING) as logs:
        plugin = _plugin(url)
    if plugin is None:
        what = f"this {url.split('://', 1)[0][:20]}:// URL" if "://" in url else "this URL (no scheme://)"
        reason = " ".join(_without_urls(line.split(" - ", 2)[-1]) for line in logs.getvalue().splitlines()
                          if line.strip())
        raise InvalidInput("invalid notification URL", f"url: Apprise cannot use {what}"
                           + (f": {reason[:300]}" if reason else "; see the Apprise wiki for the services it knows"))
    return url


def _without_urls(text: str) -> str:
    """Apprise's messages may quote the URL, secrets half-masked at best: never echo it back."""
    return " ".join("<url>" if "://" in word else word for word in text.split())


def masked(url: str) -> str:
    """Apprise's privacy form (each service knows which parts are secret), keeping only the query
    parameters the person wrote rather than every default Apprise fills in."""
    plugin = _plugin(url)
    if plugin is None:
        return "••••••"
    private = plugin.url(privacy=True)
    given = {k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    parts = urlsplit(private)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k in given]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="*@."), ""))


def _notify_type(severity: str) -> apprise.NotifyType:
    kinds = _apprise().NotifyType
    return {ERROR: kinds.FAILURE, WARNING: kinds.WARNING}.get(severity, kinds.INFO)


@dataclass
class SendResult:
    ok: bool
    error: str | None = None


def send(url: str, *, title: str, body: str, severity: str, timeout: float) -> SendResult:
    """One attempt; Apprise reports failures through its log, which becomes the delivery's error."""
    notes: list[str] = []

    def collect(entry, _plugin=None) -> None:
        level = entry.level if isinstance(entry.level, int) else logging.getLevelName(str(entry.level))
        if isinstance(level, int) and level >= logging.WARNING:
            notes.append(_without_urls(str(entry.message)))

    target = _apprise().Apprise()
    if not target.add(url):
        return SendResult(False, "the stored URL is no longer accepted by Apprise")
    try:
        result = target.notify(body=body, title=title, notify_type=_notify_type(severity),
                               timeout=timeout, log_callback=collect)
    except Exception as exc:  # a plugin bug must not take the worker's job down without a record
        log.exception("apprise raised")
        return SendResult(False, f"{type(exc).__name__}: {exc}")
    if result:
        return SendResult(True)
    status = getattr(result, "status", None)
    reason = "; ".join(dict.fromkeys(notes)) or f"delivery failed ({status or 'no detail from Apprise'})"
    return SendResult(False, reason[:2000])
