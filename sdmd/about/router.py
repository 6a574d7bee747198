"""GET /api/about: what the Settings → About page shows (version, where the docs and RQ dashboard are)."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from sdmd.deps import CoreDep
from sdmd.errors import SdmdError

router = APIRouter(prefix="/api/about", tags=["about"])


class DockerEngine(BaseModel):
    version: str | None
    api_version: str | None
    error: str | None = Field(default=None, description="why the engine did not answer, if it did not")


class AboutRead(BaseModel):
    name: str = "sdmd"
    version: str = Field(examples=["0.1.0"])
    python: str
    auth_mode: str
    docs_url: str = Field(description="the OpenAPI documentation of this sdmd", examples=["/docs"])
    openapi_url: str = Field(examples=["/openapi.json"])
    rq_dashboard_url: str | None = Field(description="SDMD_RQ_DASHBOARD_URL; null when set empty")
    gitops_apply: str
    docker: DockerEngine


def sdmd_version() -> str:
    try:
        return metadata.version("sdmd")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@router.get("", response_model=AboutRead)
def about(request: Request, core: CoreDep) -> dict[str, Any]:
    """sdmd's version, the Docker engine it talks to, and links: `/docs` and the RQ dashboard."""
    settings = core.settings
    try:
        engine = core.docker.engine_version()
        docker = {"version": engine.get("Version"), "api_version": engine.get("ApiVersion")}
    except SdmdError as exc:  # the About page still answers while Docker is down
        docker = {"version": None, "api_version": None, "error": exc.message}
    return {
        "version": sdmd_version(),
        "python": platform.python_version(),
        "auth_mode": settings.auth_mode,
        "docs_url": request.app.docs_url or "/docs",
        "openapi_url": request.app.openapi_url or "/openapi.json",
        "rq_dashboard_url": settings.rq_dashboard_url or None,
        "gitops_apply": settings.gitops_apply,
        "docker": docker,
    }
