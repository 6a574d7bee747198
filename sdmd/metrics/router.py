"""GET /metrics and the middleware that times every request by route template."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sdmd.core import Core
from sdmd.metrics.auth import require_scraper
from sdmd.metrics.collector import SdmdCollector

UNMATCHED = "<unmatched>"  # any path no route knows: one series, not one per scanner's guess
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

router = APIRouter(tags=["metrics"])


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, core: Core) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram("sdmd_http_request_duration_seconds",
                                 "API request latency by method, route template and status",
                                 ["method", "route", "status"], buckets=BUCKETS, registry=self.registry)
        self.registry.register(SdmdCollector(core))


class LatencyMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            # The router leaves the matched route in the scope: its template (/api/services/{service_id}),
            # never the raw path, keeps the label set small.
            route = getattr(scope.get("route"), "path", None)
            label = (route or "/") if scope.get("route") is not None else UNMATCHED
            self.metrics.latency.labels(scope.get("method", ""), label, str(status)).observe(
                time.perf_counter() - started)


@router.get("/metrics", summary="Prometheus metrics", dependencies=[Depends(require_scraper)],
            response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "the Prometheus text format"},
                       401: {"description": "`{error, details}`: no bearer, or neither SDMD_METRICS_TOKEN nor an "
                                            "API token"}})
def metrics(request: Request) -> Response:
    """`Authorization: Bearer <SDMD_METRICS_TOKEN>` (or any API token). See the README for the list."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
