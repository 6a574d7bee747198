"""GET /readyz: can this sdmd do its job now? Database, Redis (when configured) and Docker, checked at once.

Public and cheap: one trivial call to each dependency, run side by side under one deadline, so a hung
dependency makes the answer "not ready" within READY_TIMEOUT_SECONDS rather than hanging the probe.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

import redis
import sqlalchemy as sa
from fastapi import APIRouter

from sdmd.core import Core
from sdmd.deps import CoreDep
from sdmd.errors import UpstreamUnavailable

READY_TIMEOUT_SECONDS = 3.0
OK = "ok"
NOT_CONFIGURED = "not configured"

router = APIRouter(tags=["health"])

_redis_clients: dict[str, redis.Redis] = {}
_redis_lock = threading.Lock()


def _redis_client(url: str) -> redis.Redis:
    with _redis_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            _redis_clients[url] = client
        return client


def _check_database(core: Core) -> None:
    with core.db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _check_docker(core: Core) -> None:
    core.docker.ping()


def _redis_url(core: Core) -> str:
    # Only an explicit SDMD_REDIS_URL is checked: without one, updates use a private Redis that
    # scripts/run.sh starts (and names in SDMD_REDIS_URL), and a bare `sdmd serve` has none to check.
    return core.settings.redis_url


def _check_redis(core: Core) -> None:
    _redis_client(_redis_url(core)).ping()


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "details", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:500]


def readiness(core: Core, timeout: float = READY_TIMEOUT_SECONDS) -> dict[str, str]:
    """Each dependency's state: "ok", "not configured", or why it failed."""
    checks: dict[str, Callable[[Core], None]] = {"database": _check_database, "docker": _check_docker}
    results: dict[str, str] = {}
    if _redis_url(core):
        checks["redis"] = _check_redis
    else:
        results["redis"] = NOT_CONFIGURED
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(fn, core) for name, fn in checks.items()}
        concurrent.futures.wait(futures.values(), timeout=timeout)
        for name, future in futures.items():
            if not future.done():
                results[name] = f"no answer within {timeout:g}s"
            elif future.exception() is not None:
                results[name] = _reason(future.exception())
            else:
                results[name] = OK
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return dict(sorted(results.items()))


@router.get("/readyz")
def readyz(core: CoreDep) -> dict[str, Any]:
    results = readiness(core)
    failed = [name for name, state in results.items() if state not in (OK, NOT_CONFIGURED)]
    if failed:
        raise UpstreamUnavailable(f"not ready: {', '.join(failed)}",
                                  "; ".join(f"{name}: {results[name]}" for name in failed))
    return {"status": "ready", "checks": results}
