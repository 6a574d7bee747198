"""create_app(): the API routers, the error mapping, and the built web UI at /."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI

from sdmd.about.router import router as about_router
from sdmd.about.router import sdmd_version
from sdmd.audit.retention import RetentionWorker
from sdmd.audit.router import router as audit_router
from sdmd.auth.dependencies import current_actor
from sdmd.auth.router import router as auth_router
from sdmd.auth.users_router import router as users_router
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.errors import add_exception_handlers
from sdmd.gitops import loop as gitops_loop
from sdmd.gitops.router import router as gitops_router
from sdmd.health.probes import router as probes_router
from sdmd.health.router import router as health_router
from sdmd.hosts.router import router as hosts_router
from sdmd.images.router import router as images_router
from sdmd.logging import RequestContextMiddleware
from sdmd.registries.router import router as registries_router
from sdmd.schedules.router import router as schedules_router
from sdmd.services.router import router as services_router
from sdmd.updates.router import router as updates_router
from sdmd.webui import mount_web_ui

log = logging.getLogger("sdmd")

STATIC_DIR = Path(__file__).parent / "static"

# Every router under /api goes through the one authentication dependency.
API_ROUTERS: list[APIRouter] = [services_router, images_router, health_router, gitops_router, audit_router,
                                schedules_router, updates_router, registries_router, hosts_router]
API_ROUTERS += [users_router, about_router]  # issue 18: Settings → Users and About
PUBLIC_ROUTERS: list[APIRouter] = [probes_router, auth_router]


def create_app(settings: Settings | None = None, core: Core | None = None) -> FastAPI:
    core = core or Core(settings)
    core.settings.ensure_dirs()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        _ = core.auth  # fail fast on bad auth settings; creates the signing key on first run
        retention = RetentionWorker(core.db).start()
        if core.settings.host_watch:  # hosts: the live model of every host (events + listings)
            core.start_live_model()
        with gitops_loop.running(core):  # gitops: stacks folder watcher + periodic reconcile
            yield
        retention.stop()
        core.close()

    app = FastAPI(title="sdmd", version=sdmd_version(), lifespan=lifespan,
                  description="Self-hosted Docker management dashboard")
    app.state.core = core
    add_exception_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in API_ROUTERS:
        app.include_router(router, dependencies=[Depends(current_actor)])

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    web_dir = core.settings.web_dir or STATIC_DIR
    if (web_dir / "index.html").is_file():
        mount_web_ui(app, web_dir)
    return app
