"""Who may scrape /metrics: the bearer token SDMD_METRICS_TOKEN, or any token the API accepts."""

from __future__ import annotations

import hmac

from fastapi import Request

from sdmd.auth.dependencies import bearer_token, client_addr
from sdmd.auth.errors import InvalidToken
from sdmd.core import Core
from sdmd.errors import SdmdError


def verify_api_bearer(core: Core, token: str, addr: str | None) -> bool:
    """The seam for API tokens: True when `token` is a bearer the API itself accepts.

    Today that is the access token of a live session. When personal API tokens land (security
    branch), route them through here: if they are checked inside `core.auth.authenticate` (the
    /api dependency), nothing needs to change; if they get a verifier of their own, call it here.
    """
    try:
        core.auth.authenticate(access_token=token, client_addr=addr)
    except SdmdError:
        return False
    return True


def require_scraper(request: Request) -> None:
    """401 {"error": "unauthorized"} unless the bearer is the metrics token or an API token."""
    core: Core = request.app.state.core
    token = bearer_token(request)
    configured = core.settings.metrics_token
    if configured and hmac.compare_digest(token.encode(), configured.encode()):
        return
    if verify_api_bearer(core, token, client_addr(request)):
        return
    raise InvalidToken("not the metrics token (SDMD_METRICS_TOKEN) nor a valid API token")
