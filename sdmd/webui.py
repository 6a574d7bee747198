"""The built web UI (a Next.js static export) served at / beside the API, from the same origin."""

from __future__ import annotations

import os

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Paths the UI must never answer for: a missing API route is a JSON 404, not the UI's 404 page.
API_PREFIXES = ("api", "auth", "docs", "redoc", "openapi.json")


class WebUI(StaticFiles):
    def __init__(self, directory: os.PathLike[str] | str) -> None:
        super().__init__(directory=directory, html=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        head = path.split(os.sep, 1)[0]
        if head in API_PREFIXES:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        # Hashed bundle names never change content; pages must be re-checked so a new build shows at once.
        if f"{os.sep}_next{os.sep}static{os.sep}" in str(full_path):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response
