"""Host URLs: `unix:///path`, `ssh://[user@]host[:port]`, `tcp://host:port`; everything else is refused.

Host names and users are checked strictly, not only for tidiness: they end up as arguments of
`ssh`, where a value starting with "-" would be read as an option.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sdmd.errors import InvalidInput

UNIX = "unix"
SSH = "ssh"
TCP = "tcp"
KINDS = (UNIX, SSH, TCP)
URL_MAX = 512
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = re.compile(rf"^(?=.{{1,253}}$){LABEL}(?:\.{LABEL})*$")
USER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
EXAMPLES = "unix:///var/run/docker.sock, ssh://user@host[:port] or tcp://host:port"


@dataclass(frozen=True)
class HostUrl:
    kind: str
    url: str  # normalised
    host: str | None = None
    port: int | None = None
    user: str | None = None
    path: str | None = None


def _bad(details: str) -> InvalidInput:
    return InvalidInput("invalid host URL", f"{details}; use {EXAMPLES}")


def _hostname(value: str | None, url: str) -> str:
    if not value:
        raise _bad(f"{url!r} names no host")
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not HOSTNAME_RE.match(value):
        raise _bad(f"{value!r} is not a host name or IP address")
    return value.lower()


def _port(url: str, parts, default: int | None) -> int | None:
    try:
        port = parts.port
    except ValueError as exc:
        raise _bad(f"{url!r} has an invalid port") from exc
    if port is None:
        if default is None:
            raise _bad(f"{url!r} needs a port (tcp://host:2376)")
        return default
    if not 0 < port < 65536:
        raise _bad(f"{url!r} has an invalid port")
    return port


def parse(url: object) -> HostUrl:
    if not isinstance(url, str) or not url.strip():
        raise _bad("url is required")
    url = url.strip()
    if len(url) > URL_MAX or any(c.isspace() or ord(c) < 32 for c in url):
        raise _bad("the URL is too long or contains spaces")
    if "://" not in url:
        raise _bad(f"{url!r} is not a URL")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in KINDS:
        raise _bad(f"the scheme {scheme}:// is not supported")
    try:
        parts = urlsplit(url)
        parts.hostname, parts.username  # noqa: B018 (both parse lazily and raise on a broken netloc)
    except ValueError as exc:  # e.g. "tcp://[::1" (Invalid IPv6 URL)
        raise _bad(f"{url!r} is not a valid URL: {exc}") from exc
    if parts.query or parts.fragment:
        raise _bad(f"{url!r} must not have a query or fragment")
    if scheme == UNIX:
        if parts.netloc or not parts.path.startswith("/") or parts.path.endswith("/"):
            raise _bad(f"{url!r} must name an absolute socket path (unix:///var/run/docker.sock)")
        return HostUrl(kind=UNIX, url=f"unix://{parts.path}", path=parts.path)
    if parts.path not in ("", "/"):
        raise _bad(f"{url!r} must not have a path")
    host = _hostname(parts.hostname, url)
    shown = f"[{host}]" if ":" in host else host
    if scheme == SSH:
        if parts.password is not None:
            raise _bad("ssh:// URLs take a key, not a password")
        user = parts.username
        if user is not None and not USER_RE.match(user):
            raise _bad(f"{user!r} is not a valid user name")
        port = _port(url, parts, 22)
        prefix = f"{user}@" if user else ""
        suffix = "" if port == 22 else f":{port}"
        return HostUrl(kind=SSH, url=f"ssh://{prefix}{shown}{suffix}", host=host, port=port, user=user)
    if parts.username is not None:
        raise _bad("tcp:// URLs take TLS certificates, not a user")
    port = _port(url, parts, None)
    return HostUrl(kind=TCP, url=f"tcp://{shown}:{port}", host=host, port=port)
