"""Every response carries the security headers, errors included; HSTS only over HTTPS (also when a trusted
proxy says so); X-Forwarded-For counts only from trusted proxies, for throttling and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.audit.models import AuditEntry
from sdmd.core import Core
from sdmd.security.headers import inline_scripts, script_hash
from tests.support_auth import TEST_EMAIL, TEST_PASSWORD, ensure_user

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def check_headers(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (response.request.url, name)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-eval" not in csp
    assert "camera=()" in response.headers["permissions-policy"]


def test_every_kind_of_answer_has_the_headers(client, anonymous_client):
    for response in (client.get("/api/services"), client.get("/api/services/nope"), client.patch("/api/services"),
                     anonymous_client.get("/api/audit"), anonymous_client.get("/healthz"),
                     anonymous_client.post("/auth/login", json={}), anonymous_client.get("/openapi.json"),
                     client.post("/api/services", content=b"x" * (2 * 1024 * 1024))):
        check_headers(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "strict-transport-security" not in client.get("/healthz").headers  # plain HTTP: no HSTS


def test_an_unexpected_error_has_them_too(core: Core):
    app = create_app(core=core)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
    assert response.status_code == 500 and response.json() == {"error": "internal error", "details": "RuntimeError"}
    check_headers(response)


def test_hsts_only_over_https(core: Core):
    with TestClient(create_app(core=core), base_url="https://sdmd.test") as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    core.settings.hsts_max_age_seconds = 0
    with TestClient(create_app(core=core), base_url="https://sdmd.test") as client:
        assert "strict-transport-security" not in client.get("/healthz").headers


def test_docs_pages_allow_their_own_inline_script_and_nothing_else(anonymous_client):
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = anonymous_client.get(path)
        assert response.status_code == 200, path
        check_headers(response)
        csp = response.headers["content-security-policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src")).split()
        assert "'unsafe-inline'" not in script_src
        for source in inline_scripts(response.text):
            assert script_hash(source) in script_src, path


def _login_failures(client: TestClient, n: int, headers: dict[str, str]) -> list[int]:
    return [client.post("/auth/login", json={"username": TEST_EMAIL, "password": "wrong password"},
                        headers=headers).status_code for _ in range(n)]


def _client_addrs(core: Core) -> list[str | None]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry.client_addr).where(
            AuditEntry.action == "auth.login_failed").order_by(AuditEntry.id)))


def test_forwarded_for_is_believed_only_from_trusted_proxies(core: Core):
    ensure_user(core)
    core.settings.trusted_proxies = ["10.9.0.0/24"]
    app = create_app(core=core)
    # A trusted proxy: each request is from the address it names, also for HSTS (X-Forwarded-Proto).
    with TestClient(app, client=("10.9.0.7", 40000)) as proxied:
        for i in range(3):
            forwarded = {"X-Forwarded-For": f"203.0.113.{i}", "X-Forwarded-Proto": "https"}
            response = proxied.post("/auth/login", json={"username": f"nobody{i}", "password": "x"},
                                    headers=forwarded)
            assert response.status_code == 401
            assert response.headers["strict-transport-security"].startswith("max-age=")
    assert _client_addrs(core) == ["203.0.113.0", "203.0.113.1", "203.0.113.2"]
    # Not a trusted peer: its X-Forwarded-For is ignored, so it cannot spread its failures over made-up
    # addresses; the throttle sees its own address and stops it after five.
    with TestClient(app, client=("198.51.100.9", 40000)) as direct:
        statuses = [direct.post("/auth/login", json={"username": f"someone{i}", "password": "x"},
                                headers={"X-Forwarded-For": f"192.0.2.{i}", "X-Forwarded-Proto": "https"}
                                ).status_code for i in range(6)]
        assert "strict-transport-security" not in direct.get("/healthz", headers={"X-Forwarded-Proto": "https"}).headers
    assert statuses == [401] * 5 + [429]
    assert set(_client_addrs(core)[3:]) == {"198.51.100.9"}


def test_throttling_behind_a_proxy_counts_each_client_apart(core: Core):
    """All requests come from the proxy's address; per-client throttling must not lump them together."""
    ensure_user(core)
    core.settings.trusted_proxies = ["10.9.0.1"]
    with TestClient(create_app(core=core), client=("10.9.0.1", 40000)) as proxy:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        assert [proxy.post("/auth/login", json={"username": f"u{i}", "password": "x"}, headers=attacker).status_code
                for i in range(6)] == [401] * 5 + [429]
        # Someone else behind the same proxy still logs in.
        ok = proxy.post("/auth/login", json={"username": TEST_EMAIL, "password": TEST_PASSWORD},
                        headers={"X-Forwarded-For": "203.0.113.5"})
        assert ok.status_code == 200, ok.text
