"""What /api/health/status reports: services and containers counted by state, the troubled ones first.

Built from the same single container listing as the services list (no inspect per container), so
restart counts are not known here; a container Docker reports as `restarting` is what shows a loop.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.hosts import reader
from sdmd.services.service import list_services

EXIT_RE = re.compile(r"^Exited \((-?\d+)\)")
SERVICE_STATES = ("running", "partial", "stopped", "not_deployed", "unknown")  # unknown: host not connected


def _exit_code(container: dict[str, Any]) -> int | None:
    match = EXIT_RE.match(container.get("status") or "")
    return int(match.group(1)) if match else None


def problem_of(container: dict[str, Any]) -> tuple[int, str | None]:
    """(rank, problem in words): lower ranks sort first; None means nothing is wrong with it."""
    state, health, code = container.get("state"), container.get("health"), _exit_code(container)
    if health == "unhealthy":
        return 0, "unhealthy"
    if state == "restarting":
        return 1, "restarting"
    if state == "dead":
        return 2, "dead"
    if state == "exited" and code not in (None, 0):
        return 3, f"exited with code {code}"
    if state == "running" and health == "starting":
        return 4, "health check starting"
    if state == "paused":
        return 5, "paused"
    if state in ("exited", "created"):
        return 6, "stopped" if state == "exited" else "created, not started"
    return 7, None


def health_status(core: Core, host: str | None = None) -> dict[str, Any]:
    """One read of the live model (list_services and the hosts' states), whatever the number of hosts."""
    if host is not None:
        host = core.hosts.get(host).name
    views = reader.views(core)
    services = list_services(core, host=host, host_views=views)
    containers = []
    for s in services:
        for c in s["containers"]:
            rank, problem = problem_of(c)
            containers.append({
                "id": c["id"], "name": c["name"], "service_id": s["id"], "service_name": s["name"], "host": s["host"],
                "managed": s["managed"], "compose_service": c["service"], "image": c["image"],
                "state": c["state"], "status": c["status"], "health": c["health"], "exit_code": _exit_code(c),
                "problem": problem, "_rank": rank,
            })
    containers.sort(key=lambda c: (c["_rank"], c["service_name"], c["host"], c["name"]))
    for c in containers:
        del c["_rank"]
    service_counts = Counter(s["status"] for s in services if s["managed"])
    return {
        "services": [{"id": s["id"], "name": s["name"], "status": s["status"], "host": s["host"]} for s in services],
        "hosts": [{"name": v.host, "state": v.state, "since": v.since, "error": v.error} for v in views.values()
                  if host is None or v.host == host],
        "counts": {
            "services": {state: service_counts.get(state, 0) for state in SERVICE_STATES},
            "containers": dict(Counter(c["state"] or "unknown" for c in containers)),
            "health": dict(Counter(c["health"] or "none" for c in containers)),
            "problems": sum(1 for c in containers if c["problem"] and c["problem"] not in
                            ("stopped", "created, not started", "paused")),
        },
        "containers": containers,
        "checked_at": utcnow(),
    }
