"""Wires the live domain into the app: its routers, the progress middleware, its OpenAPI notes, shutdown."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI

from sdmd.auth.dependencies import current_actor
from sdmd.core import Core
from sdmd.live import actions
from sdmd.live.progress_http import ProgressMiddleware, document_progress
from sdmd.live.router import router as live_router
from sdmd.live.runtime import Live
from sdmd.live.terminal import router as terminal_router

PROGRESS_OPERATIONS = {
    ("POST", "/api/services"), ("PUT", "/api/services/{service_id}"), ("PATCH", "/api/services/{service_id}"),
    ("DELETE", "/api/services/{service_id}"), ("POST", "/api/services/{service_id}/restart"),
    ("POST", "/api/services/{service_id}/apply"), ("POST", "/api/services/{service_id}/update"),
    ("POST", "/api/images/pull"), ("POST", "/api/services/{service_id}/move"),
    ("PUT", "/api/services/{service_id}/env"), ("POST", "/api/services/{service_id}/history/{commit}/restore"),
    *(("POST", f"/api/services/{{service_id}}/{a}") for a in actions.SERVICE_ACTIONS),
    *(("POST", f"/api/services/{{service_id}}/containers/{{container}}/{a}") for a in actions.CONTAINER_ACTIONS),
}


def install(app: FastAPI, core: Core) -> Live:
    """Call before the web UI is mounted at / (its mount would otherwise catch the terminal's WebSocket)."""
    live = app.state.live = Live(core)
    app.add_middleware(ProgressMiddleware)
    app.include_router(live_router, dependencies=[Depends(current_actor)])
    app.include_router(terminal_router)  # authenticates the WebSocket itself (see sdmd/live/terminal.py)
    document_progress(app, PROGRESS_OPERATIONS)

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any):
        async with inner(application) as state:
            yield state
        live.stop_streams()
        live.close()

    app.router.lifespan_context = lifespan
    return live
