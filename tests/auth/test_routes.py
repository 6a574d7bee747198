"""Nothing under /api answers without a valid token; the few public routes are listed here on purpose."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

# Routes outside /api: public, except /auth/logout and /auth/user which check the token themselves.
# A new route outside /api must be added here deliberately.
OUTSIDE_API = {"/auth/login", "/auth/login/mfa", "/auth/refresh", "/auth/logout", "/auth/user", "/healthz",
               "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json",
               "/metrics"}  # checks a bearer of its own (SDMD_METRICS_TOKEN or an API token): tests/notifications
# The one route under /api without the Bearer check: a deploy webhook, whose secret URL is the credential.
PUBLIC_API = {("POST", "/api/webhooks/{secret}")}


def all_routes(routes, prefix: str = ""):
    """(path, methods) of every route; recent FastAPI keeps included routers nested in app.routes."""
    for route in routes:
        if hasattr(route, "original_router"):
            inner = getattr(getattr(route, "include_context", None), "prefix", "")
            yield from all_routes(route.original_router.routes, prefix + inner)
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            yield prefix + route.path, route.methods or set()


def api_routes(app):
    for template, methods in all_routes(app.routes):
        if template.startswith("/api"):
            for method in sorted(methods):
                yield method, re.sub(r"\{[^}]+\}", "x1", template), template


def test_every_api_route_without_a_token_is_401(app, anonymous_client):
    checked = set()
    for method, path, template in api_routes(app):
        if (method, template) in PUBLIC_API:
            # Public, and a wrong secret is a plain 404 whatever the Authorization header says.
            for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
                response = anonymous_client.request(method, path, headers=headers)
                assert response.status_code == 404, (method, template, response.text)
                assert response.json() == {"error": "not found", "details": None}
            checked.add((method, template))
            continue
        for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic YTpi"}):
            response = anonymous_client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, template, headers, response.status_code, response.text)
            body = response.json()
            assert body["error"] == "unauthorized" and body["details"], (method, template)
            assert response.headers["www-authenticate"] == "Bearer"
        checked.add((method, template))
    # the walk saw every documented /api path, and at least the service engine's and this domain's routes
    documented = {p for p in anonymous_client.get("/openapi.json").json()["paths"] if p.startswith("/api")}
    assert documented <= {template for _, template in checked}
    assert {("GET", "/api/services"), ("POST", "/api/services"), ("DELETE", "/api/services/{service_id}"),
            ("GET", "/api/audit"), ("POST", "/api/images/pull"), ("GET", "/api/health/status"),
            ("POST", "/api/security/mfa/enrol"), ("POST", "/api/security/tokens")} <= checked
    assert checked >= PUBLIC_API


def test_the_same_routes_answer_with_a_token(app, client):
    assert client.get("/api/audit").status_code == 200
    assert client.get("/api/health/status").status_code in (200, 503)


def test_only_the_listed_routes_outside_api_are_public(app):
    outside = {path for path, _ in all_routes(app.routes) if not path.startswith("/api")}
    assert outside <= OUTSIDE_API, outside - OUTSIDE_API


def test_public_routes_answer_without_a_token(anonymous_client):
    assert anonymous_client.get("/healthz").json() == {"status": "ok"}
    assert anonymous_client.get("/openapi.json").status_code == 200
    assert anonymous_client.get("/docs").status_code == 200
    assert anonymous_client.get("/auth/user").status_code == 401
    assert anonymous_client.post("/auth/logout").status_code == 401
