"""create_app(): the API routers, the error mapping, the security layers, and the built web UI at /."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sdmd.about.router import router as about_router
from sdmd.about.router import sdmd_version
from sdmd.audit.retention import RetentionWorker
from sdmd.audit.router import router as audit_router
from sdmd.auth.dependencies import current_actor, enrolling_actor
from sdmd.auth.router import router as auth_router
from sdmd.auth.security_router import mfa_router
from sdmd.auth.security_router import router as security_router
from sdmd.auth.users_router import router as users_router
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.gitops import loop as gitops_loop
from sdmd.gitops.router import router as gitops_router
from sdmd.health.probes import router as probes_router
from sdmd.health.router import router as health_router
from sdmd.hosts.router import router as hosts_router
from sdmd.http_errors import add_exception_handlers
from sdmd.images.router import router as images_router
from sdmd.live.install import install as install_live
from sdmd.logging import RequestContextMiddleware
from sdmd.metrics.router import LatencyMiddleware, Metrics
from sdmd.metrics.router import router as metrics_router
from sdmd.notifications import alerts
from sdmd.notifications.router import router as notifications_router
from sdmd.openapi import install_docs, install_openapi
from sdmd.registries.router import router as registries_router
from sdmd.schedules.router import router as schedules_router
from sdmd.security.headers import SecurityHeadersMiddleware
from sdmd.security.limits import BodyLimitMiddleware
from sdmd.services.router import router as services_router
from sdmd.updates.router import router as updates_router
from sdmd.webhooks.router import router as webhooks_router
from sdmd.webhooks.router import trigger_router as webhooks_trigger_router
from sdmd.webui import mount_web_ui

log = logging.getLogger("sdmd")

STATIC_DIR = Path(__file__).parent / "static"

# Every router under /api goes through the one authentication dependency...
API_ROUTERS: list[APIRouter] = [services_router, images_router, health_router, gitops_router, audit_router,
                                schedules_router, updates_router, registries_router, security_router, webhooks_router,
                                hosts_router, notifications_router]
API_ROUTERS += [users_router, about_router]  # issue 18: Settings → Users and About
# ...except enrolling in two-factor login (an aal1 session may, when 2FA is required) and calling a deploy
# webhook, whose secret URL is its credential.
ENROLMENT_ROUTERS: list[APIRouter] = [mfa_router]
# /metrics checks its own bearer (SDMD_METRICS_TOKEN or an API token): sdmd/metrics/auth.py.
PUBLIC_ROUTERS: list[APIRouter] = [probes_router, auth_router, webhooks_trigger_router, metrics_router]


class SdmdApp(FastAPI):
    """FastAPI whose outermost layers, around even the 500 handler, are the security headers and the
    trusted-proxy rewrite, so every response carries the headers and every layer sees the client."""

    def build_middleware_stack(self):
        app = super().build_middleware_stack()
        settings: Settings = self.state.core.settings
        if settings.trusted_proxies:
            # X-Forwarded-For / -Proto only from these peers; the client is the first untrusted hop.
            app = ProxyHeadersMiddleware(app, trusted_hosts=settings.trusted_proxies)
        return SecurityHeadersMiddleware(app, hsts_max_age=settings.hsts_max_age_seconds)


def create_app(settings: Settings | None = None, core: Core | None = None) -> FastAPI:
    core = core or Core(settings)
    core.settings.ensure_dirs()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        _ = core.auth  # fail fast on bad auth settings; creates the signing key on first run
        retention = RetentionWorker(core.db).start()
        if core.settings.host_watch:  # hosts: the live model of every host (events + listings)
            core.start_live_model()
        # gitops: stacks folder watcher + periodic reconcile; notifications: alerts from the live model
        with gitops_loop.running(core), alerts.watching(core) as consumer:
            app.state.alerts = consumer
            yield
        retention.stop()
        core.close()

    app = SdmdApp(title="sdmd", version=sdmd_version(), lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Self-hosted Docker management dashboard")
    app.state.core = core
    app.state.metrics = Metrics(core)
    add_exception_handlers(app)
    app.add_middleware(LatencyMiddleware, metrics=app.state.metrics)
    # Inside RequestContextMiddleware, so a refused body is still logged with its request id.
    app.add_middleware(BodyLimitMiddleware, max_bytes=core.settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in ENROLMENT_ROUTERS:
        app.include_router(router, dependencies=[Depends(enrolling_actor)])
    for router in API_ROUTERS:
        app.include_router(router, dependencies=[Depends(current_actor)])
    install_live(app, core)  # live: progress streams, logs/stats/state streams, actions, terminals

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    install_docs(app)
    install_openapi(app)
    web_dir = core.settings.web_dir or STATIC_DIR
    if (web_dir / "index.html").is_file():
        mount_web_ui(app, web_dir)
    return app
