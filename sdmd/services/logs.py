"""GET /api/services/{id}/logs: the last lines of all a service's containers, on its host, merged by time."""

from __future__ import annotations

from dataclasses import dataclass

from sdmd.core import Core
from sdmd.hosts import reader
from sdmd.services.runtime import group_by_project
from sdmd.services.service import gateway_of, resolve


@dataclass(frozen=True)
class LogLine:
    container: str
    service: str | None
    timestamp: str
    message: str


def service_logs(core: Core, service_id: str, *, tail: int) -> list[LogLine]:
    """The last `tail` lines across all the service's containers, merged by time."""
    _, name, host = resolve(core, service_id)
    gateway = gateway_of(core, host)
    containers = group_by_project(reader.project_containers(core, host, name)).get(name, [])
    lines: list[LogLine] = []
    for c in containers:
        raw = gateway.container_logs(c["id"], tail=tail).decode("utf-8", errors="replace")
        for entry in raw.splitlines():
            stamp, _, message = entry.partition(" ")
            lines.append(LogLine(container=c["name"], service=c["service"], timestamp=stamp, message=message))
    lines.sort(key=lambda line: _sort_key(line.timestamp))
    return lines[-tail:] if tail else []


def _sort_key(stamp: str) -> tuple[str, str]:
    # RFC 3339 with nanoseconds: compare the seconds part, then the fraction padded to 9 digits.
    head, _, frac = stamp.rstrip("Z").partition(".")
    return head, frac.ljust(9, "0")
