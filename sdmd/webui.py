"""The built web UI (a Next.js static export) served at / beside the API, from the same origin."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from sdmd.security.headers import PageCsp

# Paths the UI never answers: they stay with the API's router, so an unknown /api path is its JSON 404,
# a wrong method its 405, and routes added after the UI (in tests) still match.
API_PREFIXES = ("/api", "/auth", "/docs", "/redoc", "/openapi.json", "/healthz", "/metrics")


class WebUI(StaticFiles):
    def __init__(self, directory: os.PathLike[str] | str) -> None:
        super().__init__(directory=directory, html=True)
        self.csp = PageCsp()
        self.csp.warm(Path(directory))  # every page's inline-script hashes, computed at startup

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 404 and isinstance(response, FileResponse):
            # Starlette answers the 404 page without file_response: it needs the same headers as any page.
            self._dress(response, response.path, response.stat_result)
        return response

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:
        return self._dress(super().file_response(full_path, stat_result, scope, status_code), full_path, stat_result)

    def _dress(self, response: Response, full_path, stat_result) -> Response:
        if str(full_path).endswith(".html"):
            # The page's own policy: its inline scripts by hash, nothing else inline (sdmd/security/headers.py).
            response.headers["Content-Security-Policy"] = self.csp.for_file(Path(full_path), stat_result)
        # Hashed bundle names never change content; pages must be re-checked so a new build shows at once.
        if f"{os.sep}_next{os.sep}static{os.sep}" in str(full_path):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response


class WebMount(Mount):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if scope["type"] == "http" and any(path == p or path.startswith(p + "/") for p in API_PREFIXES):
            return Match.NONE, {}
        return super().matches(scope)


def mount_web_ui(app: FastAPI, directory: os.PathLike[str] | str) -> None:
    app.router.routes.append(WebMount("/", app=WebUI(directory), name="web"))
