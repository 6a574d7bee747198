"""The OpenAPI document tells the truth about errors, and /docs and /redoc work under a strict CSP.

`document_errors` runs over the generated schema (so routes any domain adds later get it for free) and
adds the error responses each operation can give, all with the one ErrorRead body (`{error, details}`, plus
`field` when the error points at a part of the compose file):

- 401 and 403 on everything behind the Bearer token (no or a bad token; two-factor login required);
- 404 where the path names something ({id}), and on changes under /api (their body may name something);
- 409 on changes (POST, PUT, PATCH, DELETE) under /api;
- 400 and 413 wherever a body may be sent (POST, PUT, PATCH): a body that is not even decodable, and the
  body limit, which applies to every request;
- 422 wherever there are parameters or a body to validate (FastAPI's own 422 schema is replaced: sdmd
  answers validation errors with `{error, details}` too);
- 503 on everything under /api and /auth (the database, Docker, Redis or the auth service is down).

`plain_parameters` drops the `null` branch pydantic gives an optional parameter (`X | None`): a URL or a
header cannot carry a JSON null, an absent parameter is the "none", so the schema says only what can be sent.

A route adds what only it can answer (429 on login, 502 from Supabase...) or words a common one for itself
with `responses=sdmd.http_errors.error_responses(...)`; those get the same body schema, and a description here
when they lack one.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from starlette.requests import Request
from starlette.responses import HTMLResponse

from sdmd.http_errors import ErrorRead
from sdmd.nullable import without_null
from sdmd.security.headers import inline_scripts, script_hash

ERROR_REF = {"$ref": "#/components/schemas/ErrorRead"}
DESCRIPTIONS = {
    400: "Malformed request",
    401: "No valid credentials (missing, malformed, expired or revoked token)",
    403: "Not allowed with these credentials (e.g. two-factor login required)",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    413: "Request body larger than SDMD_MAX_BODY_BYTES",
    415: "Unsupported media type (see the operation's request body)",
    422: "Invalid input",
    429: "Too many requests (see Retry-After)",
    500: "Internal error",
    502: "An upstream service answered wrongly",
    503: "A dependency (database, Docker, Redis, auth service) is unavailable",
    504: "Timed out",
}
GENERIC_DESCRIPTIONS = {"", "error", "Error", "Validation Error"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
BODY_METHODS = {"post", "put", "patch"}


def _codes_for(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    codes: set[int] = set()
    protected = bool(operation.get("security"))
    under_api = path.startswith("/api/") or path == "/api"
    if protected:
        codes |= {401, 403}
    if "{" in path:
        codes.add(404)
    if under_api and method in WRITE_METHODS:
        codes |= {404, 409}  # a change may name something that is not there (also in its body)
    if method in BODY_METHODS:
        codes |= {400, 413}  # a body that cannot be decoded at all; a body past the limit
    if operation.get("parameters") or operation.get("requestBody") or method in BODY_METHODS:
        codes.add(422)
    if under_api or path.startswith("/auth/"):
        codes.add(503)
    return codes


def _reason(code: int) -> str:
    """FastAPI's description for a response a route listed without one: the HTTP reason phrase."""
    return http.client.responses.get(code, "")


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorRead"] = ErrorRead.model_json_schema()
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in _codes_for(path, method, operation) | {int(c) for c in responses if c.isdigit()}:
                if code < 400:
                    continue
                entry = responses.setdefault(str(code), {})
                entry.setdefault("description", DESCRIPTIONS.get(code, "Error"))
                if entry.get("description") in GENERIC_DESCRIPTIONS | {_reason(code)}:  # FastAPI's placeholder
                    entry["description"] = DESCRIPTIONS.get(code, "Error")
                content = entry.setdefault("content", {})
                media = content.setdefault("application/json", {})
                media["schema"] = ERROR_REF
                # An example given by the route stays; otherwise the schema's own examples speak.
    if "HTTPValidationError" not in json.dumps(schema["paths"]):  # FastAPI's 422 body, now unused
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def plain_parameters(schema: dict[str, Any]) -> dict[str, Any]:
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if "schema" in parameter:
                    parameter["schema"] = without_null(parameter["schema"])
    return schema


def install_openapi(app: FastAPI) -> None:
    """app.openapi() with the error responses documented (computed once, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes, tags=app.openapi_tags, servers=app.servers)
            app.openapi_schema = plain_parameters(document_errors(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- /docs and /redoc: FastAPI's pages load their bundles from jsDelivr and carry one inline script --
CDN = "https://cdn.jsdelivr.net"


def _docs_csp(html: str, *, styles: str, images: str) -> str:
    hashes = " ".join(sorted({script_hash(s) for s in inline_scripts(html)}))
    return (f"default-src 'self'; script-src 'self' {CDN} {hashes}".rstrip() + "; "
            f"style-src 'self' 'unsafe-inline' {styles}; img-src 'self' data: {images}; "
            "font-src 'self' https://fonts.gstatic.com; worker-src blob:; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def _page(html: HTMLResponse, *, styles: str = CDN, images: str = "https://fastapi.tiangolo.com") -> HTMLResponse:
    text = html.body.decode()
    return HTMLResponse(text, headers={"Content-Security-Policy": _docs_csp(text, styles=styles, images=images)})


def install_docs(app: FastAPI) -> None:
    """Create the app with docs_url=None and redoc_url=None; these take their place."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return _page(get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - Swagger UI",
                                         oauth2_redirect_url="/docs/oauth2-redirect"))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return _page(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _page(get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc"),
                     styles=f"{CDN} https://fonts.googleapis.com", images="https://cdn.redoc.ly")
