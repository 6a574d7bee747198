"""Deploy webhooks. Managing them takes a login like the rest of /api; calling one takes only its secret.

`trigger_router` is the one route under /api that the global auth dependency lets through (app.py
includes it without it): the secret in the path is the credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from sdmd.auth.dependencies import ActorDep, client_addr
from sdmd.deps import CoreDep
from sdmd.http_errors import error_responses
from sdmd.updates.manual import respond
from sdmd.updates.schemas import UpdateJobRead
from sdmd.webhooks import service

router = APIRouter(prefix="/api", tags=["webhooks"])
trigger_router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class WebhookCreate(BaseModel):
    model_config = ConfigDict(strict=True)
    action: Literal["update", "apply"] = Field(
        default="update", description="update: pull newer images and recreate (the update cycle); "
                                      "apply: git pull the stacks repository, then apply this service's folder")
    mode: Literal["update", "check"] = Field(default="update", description="for action update: check only reports")
    description: str | None = Field(default=None, max_length=200, examples=["GitHub Actions deploy"])


class WebhookRead(BaseModel):
    id: str
    service_id: str
    service_name: str | None
    action: str
    mode: str
    description: str | None
    created_at: datetime
    created_by: str | None
    rotated_at: datetime | None
    last_called_at: datetime | None


class WebhookCreated(WebhookRead):
    secret: str = Field(description="shown only now")
    url: str = Field(description="POST here (relative to sdmd's address) to run the webhook", examples=[
        "/api/webhooks/3q2-7wEj..."])


class WebhookResult(BaseModel):
    webhook_id: str
    service_id: str
    service_name: str
    action: str
    job: UpdateJobRead | None = Field(description="action update: the update job (poll it while status is queued)")
    remote: dict[str, Any] | None = Field(description="action apply: the git remote sync, when a remote is set")


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(core: CoreDep) -> list[dict[str, Any]]:
    """Every active webhook (never its secret)."""
    return service.list_webhooks(core)


@router.get("/services/{service_id}/webhooks", response_model=list[WebhookRead])
def service_webhooks(service_id: str, core: CoreDep) -> list[dict[str, Any]]:
    return service.list_webhooks(core, service_id=service_id)


@router.post("/services/{service_id}/webhooks", status_code=201, response_model=WebhookCreated)
def create_webhook(service_id: str, body: WebhookCreate, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """A secret URL that runs this service's update (or a git pull and apply). The secret is shown once."""
    return service.create(core, service_id=service_id, action=body.action, mode=body.mode,
                          description=body.description, actor=actor)


@router.post("/services/{service_id}/webhooks/{webhook_id}/rotate", response_model=WebhookCreated)
def rotate_webhook(service_id: str, webhook_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """A new secret for the webhook; the old URL answers 404 from now on."""
    service.list_webhooks(core, service_id=service_id)  # 404 for an unknown service
    return service.rotate(core, webhook_id=webhook_id, actor=actor)


@router.delete("/services/{service_id}/webhooks/{webhook_id}", response_model=WebhookRead)
def revoke_webhook(service_id: str, webhook_id: str, core: CoreDep, actor: ActorDep) -> dict[str, Any]:
    """Revoke the webhook: its URL answers 404 from now on."""
    service.list_webhooks(core, service_id=service_id)
    return service.revoke(core, webhook_id=webhook_id, actor=actor)


@trigger_router.post("/{secret}", response_model=WebhookResult, responses={
    202: {"model": WebhookResult, "description": "the update job is still running"},
    **error_responses(e404="no webhook has this secret (or it was rotated or revoked)",
                      e409="the stacks repository could not be synced with its remote",
                      e429="too many calls of this webhook, or of unknown secrets from this address (see Retry-After)"),
})
async def call_webhook(request: Request, response: Response, core: CoreDep,
                       secret: Annotated[str, Path(max_length=200, description="the webhook's secret")],
                       wait: Annotated[float, Query(ge=0, le=3600, description="action update: seconds to wait "
                                                                                "for the run")] = 0,
                       ) -> dict[str, Any]:
    """Run a deploy webhook. No Authorization header: the secret in the URL is the credential, so keep it
    like a password (a CI secret). Any body is ignored."""
    result = await run_in_threadpool(service.trigger, core, secret=secret, client_addr=client_addr(request),
                                     wait=wait)
    if result["job"] is not None:
        respond(response, result["job"])
    return result
