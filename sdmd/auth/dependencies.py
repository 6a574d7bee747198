"""The auth seam: every /api router depends on `current_actor`, so authentication lives in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sdmd.auth.identity import Actor


def client_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


def current_actor(request: Request) -> Actor:
    # Placeholder until authentication lands: every request acts as an anonymous local caller.
    actor = Actor(id="anonymous", email=None, client_addr=client_addr(request))
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
