"""sdmd serves the built UI at / beside the API: client routes, JSON errors for the API, cache headers;
the committed OpenAPI client is current; the services page's first-load JavaScript stays in budget."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from tests.web.conftest import ROOT

WEB = ROOT / "web"
BUDGET_KB = 250


def fake_build(root: Path) -> Path:
    (root / "service").mkdir(parents=True)
    (root / "_next" / "static" / "chunks").mkdir(parents=True)
    (root / "index.html").write_text("<html>home</html>")
    (root / "404.html").write_text("<html>ui 404</html>")
    (root / "service" / "index.html").write_text("<html>service page</html>")
    (root / "_next" / "static" / "chunks" / "a1b2.js").write_text("console.log(1)")
    return root


def test_ui_routes_api_errors_and_cache_headers(core: Core, tmp_path: Path) -> None:
    core.settings.web_dir = fake_build(tmp_path / "web")
    with TestClient(create_app(core=core)) as client:
        home = client.get("/")
        assert home.status_code == 200 and "home" in home.text
        assert home.headers["cache-control"] == "no-cache"
        # A client route with its id in the query string: the folder's page, the query kept.
        moved = client.get("/service?id=svc_1", follow_redirects=False)
        assert moved.status_code in (301, 307) and moved.headers["location"].endswith("/service/?id=svc_1")
        assert "service page" in client.get("/service/?id=svc_1").text
        asset = client.get("/_next/static/chunks/a1b2.js")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert client.get("/no/such/page").text == "<html>ui 404</html>"
        # The API keeps its own JSON errors: an unknown /api or /auth path is not the UI's 404 page.
        for path in ("/api/nothing-here", "/auth/nothing-here", "/api"):
            r = client.get(path)
            assert r.status_code == 404, path
            assert r.json() == {"error": "not found", "details": None}, path
        assert client.get("/api/services").headers["content-type"].startswith("application/json")
        r = client.patch("/api/services")  # the API's own 405, not the UI's
        assert r.status_code == 405 and r.json() == {"error": "method not allowed", "details": None}
        assert client.post("/").status_code == 405  # the UI is read-only


def test_without_a_build_the_api_still_serves(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", stacks_dir=tmp_path / "s", web_dir=tmp_path / "empty")
    app = create_app(settings)
    assert not any(getattr(r, "name", None) == "web" for r in app.routes)


def test_committed_api_client_matches_the_app(tmp_path: Path) -> None:
    """web/openapi.json and web/lib/api/schema.d.ts must be what scripts/gen_api.sh makes now."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dump_openapi", WEB / "scripts" / "dump_openapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = "stale: run scripts/gen_api.sh and commit web/openapi.json and web/lib/api/schema.d.ts"
    assert module.openapi_text() == (WEB / "openapi.json").read_text(), f"web/openapi.json is {stale}"
    generator = WEB / "node_modules" / ".bin" / "openapi-typescript"
    assert generator.exists(), "web/node_modules missing: run scripts/build_web.sh"
    out = tmp_path / "schema.d.ts"
    subprocess.run([str(generator), str(WEB / "openapi.json"), "-o", str(out)], cwd=WEB, check=True,
                   capture_output=True, timeout=120)
    assert out.read_text() == (WEB / "lib" / "api" / "schema.d.ts").read_text(), f"schema.d.ts is {stale}"


def test_services_page_first_load_js_is_within_budget(built_ui: Path) -> None:
    node = shutil.which("node")
    assert node, "node is needed to measure the bundle"
    result = subprocess.run([node, str(WEB / "scripts" / "first-load-js.mjs"), str(built_ui / "index.html")],
                            capture_output=True, text=True, check=True, timeout=60)
    report = json.loads(result.stdout)
    assert report["scripts"] > 0
    assert report["total_gzip_kb"] <= BUDGET_KB, report
