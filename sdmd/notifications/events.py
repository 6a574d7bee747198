"""What sdmd can tell people about: the event types a channel subscribes to, and one event's message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sdmd.config import Settings
from sdmd.db.base import utcnow

INFO, WARNING, ERROR = "info", "warning", "error"

# type -> (severity, description). A channel's `events` names types, "<group>.*" or "*".
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "update.available": (INFO, "a newer image (digest or tag) was found; once per new image, not every check"),
    "update.updated": (INFO, "a service was updated to a newer image and passed its health gate"),
    "update.rolled_back": (WARNING, "a new image failed its health gate (or compose up); the old one runs again"),
    "update.failed": (ERROR, "an update run failed (pull error, registry down, rollback failed)"),
    "container.died": (ERROR, "a container exited with a non-zero code without being stopped by sdmd or a user"),
    "container.unhealthy": (WARNING, "a container's healthcheck turned unhealthy"),
    "container.restart_loop": (ERROR, "a container restarted too often within a short time"),
    "host.unreachable": (ERROR, "sdmd lost its connection to a Docker host"),
    "host.back": (INFO, "a Docker host that was unreachable is connected again"),
    "gitops.apply_error": (ERROR, "a compose file changed in git could not be applied (once per file version)"),
    "gitops.diverged": (WARNING, "the stacks repository and its remote both have commits the other lacks"),
    "security.login_throttled": (WARNING, "logins for a user or from an address were throttled after failures"),
}
GROUPS = sorted({t.split(".", 1)[0] for t in EVENT_TYPES})
TEST = "test"
DIGEST = "digest"


SELECTORS = sorted(set(EVENT_TYPES) | {f"{g}.*" for g in GROUPS} | {"*"})


def unknown_selectors(selectors: list[str]) -> list[str]:
    return [s for s in selectors if s not in SELECTORS]


def selects(selectors: list[str], event_type: str) -> bool:
    group = event_type.split(".", 1)[0]
    return any(s in ("*", event_type, f"{group}.*") for s in selectors)


def catalogue() -> list[dict[str, str]]:
    return [{"type": t, "group": t.split(".", 1)[0], "severity": sev, "description": text}
            for t, (sev, text) in EVENT_TYPES.items()]


@dataclass
class Event:
    """One thing that happened, already worded: it names the service and host and says what to do."""

    type: str
    title: str
    body: str
    service: str | None = None
    host: str | None = None
    link: str | None = None
    occurred_at: datetime = field(default_factory=utcnow)

    @property
    def severity(self) -> str:
        return EVENT_TYPES.get(self.type, (INFO, ""))[0]

    def payload(self) -> dict[str, Any]:
        """JSON-safe, for the RQ job."""
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Event:
        return cls(**{**data, "occurred_at": datetime.fromisoformat(data["occurred_at"])})


def message(*, what: str, todo: str, service: str | None, host: str | None, link: str | None,
            details: str | None = None) -> str:
    """The body every alert shares: what happened, where, what to do, and the page to open."""
    lines = [what]
    if service or host:
        lines.append(f"Service: {service or '-'}   Host: {host or '-'}")
    if details:
        lines.append(f"Details: {details[:1500]}")
    lines.append(f"What to do: {todo}")
    if link:
        lines.append(f"Open: {link}")
    return "\n".join(lines)


def page_link(settings: Settings, path: str, **query: str) -> str | None:
    """A link into the web UI, when SDMD_PUBLIC_URL says where it is."""
    base = settings.public_url.strip().rstrip("/")
    if not base:
        return None
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return f"{base}/{path.strip('/')}/" + (f"?{qs}" if qs else "")


def service_link(settings: Settings, service_id: str | None) -> str | None:
    return page_link(settings, "service", id=service_id) if service_id else None
