"""The OpenAPI document names every operation's error responses, all with the {error, details} schema,
including routes added to the app after sdmd's own (the rules are applied to the generated document)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.auth.dependencies import current_actor
from sdmd.core import Core

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_documents_its_errors_with_the_error_body(anonymous_client):
    schema = anonymous_client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["ErrorRead"]["required"] == ["error"]
    assert "HTTPValidationError" not in json.dumps(schema)
    seen = 0
    for path, method, operation in operations(schema):
        codes = {int(c) for c in operation["responses"] if c.isdigit()}
        errors = {c for c in codes if c >= 400}
        for code in errors:
            body = operation["responses"][str(code)]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ErrorRead"}, (path, method, code)
        if operation.get("security"):
            assert {401, 403} <= errors, (path, method)
        if "{" in path:
            assert 404 in errors, (path, method)
        if method in {"post", "put", "patch"}:
            assert {400, 413, 422} <= errors, (path, method)
        if path.startswith("/api/") and method != "get":
            assert 409 in errors, (path, method)
        if path.startswith(("/api/", "/auth/")):
            assert 503 in errors, (path, method)
        seen += 1
    assert seen >= 60
    login = schema["paths"]["/auth/login"]["post"]["responses"]
    assert {"401", "429", "502"} <= set(login)
    patch = schema["paths"]["/api/services/{service_id}"]["patch"]["responses"]  # edit's merge patch
    assert patch["415"]["description"].startswith("Unsupported media type")
    assert all(r["description"] not in ("", "error") for _, _, op in operations(schema)
               for r in op["responses"].values())  # a placeholder gets the status' own words
    hook = schema["paths"]["/api/webhooks/{secret}"]["post"]
    assert "security" not in hook and {"404", "429"} <= set(hook["responses"])


def test_a_route_added_later_gets_the_same_for_free(core: Core):
    app = create_app(core=core)
    extra = APIRouter(prefix="/api/extra")

    @extra.put("/{thing_id}")
    def put_thing(thing_id: str, body: dict) -> dict:
        return body

    app.include_router(extra, dependencies=[Depends(current_actor)])
    with TestClient(app) as client:
        schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/api/extra/{thing_id}"]["put"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= set(responses)
