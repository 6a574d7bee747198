"""Service state derived from one /containers/json listing (no inspect per container)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sdmd.docker.gateway import PROJECT_LABEL, SERVICE_LABEL

RUNNING = "running"
PARTIAL = "partial"
STOPPED = "stopped"
NOT_DEPLOYED = "not_deployed"
UNKNOWN = "unknown"  # its host is not connected: the live model cannot say


def _health(status_text: str) -> str | None:
    text = status_text.lower()
    if "(healthy)" in text:
        return "healthy"
    if "(unhealthy)" in text:
        return "unhealthy"
    if "(health: starting)" in text:
        return "starting"
    return None


def _ports(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = set()
    ports = []
    for p in raw or []:
        if "PublicPort" not in p:
            continue
        # Docker lists a port once per address family; one entry per published port is enough.
        key = (p.get("PublicPort"), p.get("PrivatePort"), p.get("Type"))
        ip = p.get("IP") or "0.0.0.0"
        if key in seen and ip in ("::", "0.0.0.0"):
            continue
        seen.add(key)
        ports.append({"host_ip": ip, "host_port": p["PublicPort"], "container_port": p["PrivatePort"],
                      "protocol": p.get("Type", "tcp")})
    return sorted(ports, key=lambda p: (p["container_port"], p["host_port"]))


def container_view(c: dict[str, Any]) -> dict[str, Any]:
    labels = c.get("Labels") or {}
    names = c.get("Names") or []
    return {
        "id": c["Id"][:12],
        "name": names[0].lstrip("/") if names else c["Id"][:12],
        "service": labels.get(SERVICE_LABEL),
        "image": c.get("Image"),
        "image_id": c.get("ImageID"),
        "state": c.get("State"),
        "status": c.get("Status"),
        "health": _health(c.get("Status") or ""),
        "ports": _ports(c.get("Ports") or []),
        "created": c.get("Created"),
    }


def group_by_project(containers: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    projects: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in containers:
        project = (c.get("Labels") or {}).get(PROJECT_LABEL)
        if project:
            projects[project].append(container_view(c))
    for views in projects.values():
        views.sort(key=lambda v: (v["service"] or "", v["name"]))
    return projects


def overall_status(views: list[dict[str, Any]]) -> str:
    if not views:
        return NOT_DEPLOYED
    running = sum(1 for v in views if v["state"] == "running")
    if running == len(views):
        return RUNNING
    return STOPPED if running == 0 else PARTIAL
