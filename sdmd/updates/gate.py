"""The health gate after a recreate: every new container healthy, or running steadily for a grace period."""

from __future__ import annotations

import time
from typing import Any

from sdmd.docker import DockerGateway
from sdmd.errors import NotFound
from sdmd.live import progress


def _name(info: dict[str, Any]) -> str:
    return str(info.get("Name") or info.get("Id", "")[:12]).lstrip("/")


def _failure(info: dict[str, Any]) -> str | None:
    state = info.get("State") or {}
    status = state.get("Status")
    name = _name(info)
    if status in ("exited", "dead"):
        error = f": {state['Error']}" if state.get("Error") else ""
        return f"{name} stopped (exit code {state.get('ExitCode')}){error}"
    if status == "restarting" or (info.get("RestartCount") or 0) > 0:
        return f"{name} restarted {info.get('RestartCount') or 0} time(s)"
    health = state.get("Health") or {}
    if health.get("Status") == "unhealthy":
        probes = health.get("Log") or []
        last = (probes[-1].get("Output") or "").strip()[-300:] if probes else ""
        return f"{name} is unhealthy" + (f": {last}" if last else "")
    return None


def _passed(info: dict[str, Any], elapsed: float, grace: float) -> bool:
    state = info.get("State") or {}
    if state.get("Status") != "running":
        return False
    health = (state.get("Health") or {}).get("Status")
    if health is None or health == "none":
        return elapsed >= grace
    return health == "healthy"


def health_gate(docker: DockerGateway, container_ids: list[str], *, grace: float, timeout: float,
                poll: float = 0.5) -> str | None:
    """None when every container passed; otherwise why the gate failed.

    A container with a healthcheck passes once it reports healthy; one without passes after
    `grace` seconds of running with no restart. Any exit, restart or unhealthy report fails at once.
    """
    verdict = _gate(docker, container_ids, grace=grace, timeout=timeout, poll=poll)
    progress.emit("gate", status="passed" if verdict is None else "failed", reason=verdict)  # live
    return verdict


def _gate(docker: DockerGateway, container_ids: list[str], *, grace: float, timeout: float, poll: float
          ) -> str | None:
    start = time.monotonic()
    deadline = max(timeout, grace)
    reported = None
    while True:
        elapsed = time.monotonic() - start
        waiting = []
        for cid in container_ids:
            try:
                info = docker.inspect_container(cid)
            except NotFound:
                return f"container {cid[:12]} disappeared"
            failure = _failure(info)
            if failure:
                return failure
            if not _passed(info, elapsed, grace):
                waiting.append(info)
        if not waiting:
            return None
        names = [f"{_name(i)} ({((i.get('State') or {}).get('Health') or {}).get('Status') or 'no healthcheck'})"
                 for i in waiting]
        if elapsed >= deadline:
            return f"not healthy after {deadline:.0f}s: {', '.join(names)}"
        if int(elapsed) != reported:  # live: what the gate waits for, about once a second
            reported = int(elapsed)
            progress.emit("gate", status="waiting", waiting=names, elapsed=round(elapsed, 1),
                          deadline=deadline, grace=grace)
        time.sleep(min(poll, max(deadline - elapsed, 0.05)))
