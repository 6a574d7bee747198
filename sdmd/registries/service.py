"""Registry credentials: stored encrypted, verified against the registry, looked up per image.

Each pull, digest check and tag listing asks `auth_for(core, registry)` and sends the credentials
with that one call (X-Registry-Auth to a daemon, Basic or a Bearer token to the registry), so every
Docker host can use them and none needs `docker login`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.docker.registry import DOCKER_HUB, HUB_ALIASES, RegistryAuth
from sdmd.errors import Conflict, InvalidInput, NotFound, RegistryAuthFailed, UpstreamError
from sdmd.registries.models import RegistryCredential
from sdmd.registries.schemas import RegistryCreate, RegistryUpdate

log = logging.getLogger("sdmd.registries")

_HOST = re.compile(r"(\[[0-9a-f:]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:[0-9]{1,5})?")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def normalize_server(server: str) -> str:
    """ghcr.io, https://ghcr.io/, ghcr.io/v2/ -> ghcr.io; index.docker.io, https://index.docker.io/v1/ -> docker.io.

    The host is what comes before the first / once a scheme is cut off (not urlsplit's netloc, which
    raises on a bracketed host that is no IP address): the rule SERVER_PATTERN states in the schema."""
    host = _SCHEME.sub("", server.strip(), count=1).split("/", 1)[0].lower()
    if not _HOST.fullmatch(host):
        raise InvalidInput("invalid registry server", f"{server!r} is not a registry host[:port]")
    return DOCKER_HUB if host in HUB_ALIASES else host


def view(row: RegistryCredential) -> dict[str, Any]:
    return {"id": row.id, "server": row.server, "username": row.username, "secret_kind": row.secret_kind,
            "created_at": row.created_at, "updated_at": row.updated_at}


def _get(session: Any, registry_id: str) -> RegistryCredential:
    row = session.get(RegistryCredential, registry_id) or session.scalar(
        select(RegistryCredential).where(RegistryCredential.server == registry_id))
    if row is None:
        raise NotFound("registry not found", f"No registry with ID or server {registry_id} exists")
    return row


def list_registries(core: Core) -> list[dict[str, Any]]:
    with core.db.sessions() as session:
        return [view(r) for r in session.scalars(select(RegistryCredential).order_by(RegistryCredential.server))]


def get_registry(core: Core, registry_id: str) -> dict[str, Any]:
    with core.db.sessions() as session:
        return view(_get(session, registry_id))


def _secret(body: RegistryCreate) -> tuple[str, str]:
    return ("password", body.password) if body.password is not None else ("token", body.token or "")


def _verify(core: Core, auth: RegistryAuth) -> None:
    try:
        core.registries.check_login(auth.server, auth)
    except RegistryAuthFailed:
        raise
    except UpstreamError as exc:
        raise UpstreamError("could not verify the credentials",
                            f"{exc.details or exc.message} (send verify: false to store them unchecked)") from exc


def create_registry(core: Core, *, actor: Actor | None, body: RegistryCreate) -> dict[str, Any]:
    server = normalize_server(body.server)
    kind, secret = _secret(body)
    with audited(core.db, actor, "registry.create", target_name=server,
                 details={"username": body.username, "secret_kind": kind, "verify": body.verify}) as audit:
        with core.db.sessions() as session:
            if session.scalar(select(RegistryCredential).where(RegistryCredential.server == server)):
                raise Conflict("registry exists", f"{server} already has credentials; PUT /api/registries/{{id}}")
        if body.verify:
            _verify(core, RegistryAuth(server=server, username=body.username, secret=secret))
        with core.db.session() as session:
            row = RegistryCredential(id=new_id("reg"), server=server, username=body.username, secret_kind=kind,
                                     secret=core.secrets.encrypt(secret))
            session.add(row)
            session.flush()
            audit.target_id = row.id
            return view(row)


def update_registry(core: Core, registry_id: str, *, actor: Actor | None, body: RegistryUpdate) -> dict[str, Any]:
    with core.db.sessions() as session:
        current = view(_get(session, registry_id))
    if body.server is not None and normalize_server(body.server) != current["server"]:
        raise Conflict("the server of a registry cannot change", "delete it and add the new server")
    kind, secret = _secret(body)
    with audited(core.db, actor, "registry.update", target_id=current["id"], target_name=current["server"],
                 details={"username": body.username, "secret_kind": kind, "verify": body.verify}):
        if body.verify:
            _verify(core, RegistryAuth(server=current["server"], username=body.username, secret=secret))
        with core.db.session() as session:
            row = _get(session, current["id"])
            row.username, row.secret_kind, row.secret = body.username, kind, core.secrets.encrypt(secret)
            session.flush()
            return view(row)


def delete_registry(core: Core, registry_id: str, *, actor: Actor | None) -> None:
    with core.db.sessions() as session:
        current = view(_get(session, registry_id))
    with audited(core.db, actor, "registry.delete", target_id=current["id"], target_name=current["server"]), \
            core.db.session() as session:
        session.delete(_get(session, current["id"]))


def auth_for(core: Core, registry: str) -> RegistryAuth | None:
    """The stored credentials for a registry host, decrypted for one call; None when there are none."""
    with core.db.sessions() as session:
        row = session.scalar(select(RegistryCredential).where(RegistryCredential.server == registry))
        if row is None:
            return None
        try:
            secret = core.secrets.decrypt(row.secret)
        except ValueError as exc:
            raise RegistryAuthFailed("registry credentials unreadable",
                                     f"{registry}: {exc}; store them again with PUT /api/registries/{row.id}") from exc
        return RegistryAuth(server=registry, username=row.username, secret=secret)
