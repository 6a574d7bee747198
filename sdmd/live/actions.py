"""Stop, start, pause and unpause a whole service or one container, restart one container, and a
read-only inspect view. Writes are refused (409) for compose projects sdmd does not manage, hold the
stack's lock (so they never interleave with an apply), and leave exactly one audit record each.
"""

from __future__ import annotations

from typing import Any

from sdmd.audit.log import audited
from sdmd.audit.log import redact as redact_secrets
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import Conflict, NotFound
from sdmd.hosts import reader
from sdmd.services import repository as repo
from sdmd.services import service
from sdmd.services.runtime import group_by_project

SERVICE_ACTIONS = ("stop", "start", "pause", "unpause")
CONTAINER_ACTIONS = ("stop", "start", "pause", "unpause", "restart")
# The state a service is in after each action, for its status history.
AFTER = {"stop": "stopped", "start": "running", "pause": "paused", "unpause": "running", "restart": "running"}
MASK = "[redacted]"


def find_container(core: Core, host: str, project: str, ref: str) -> dict[str, Any]:
    """A container of the project by its id (12 or more characters), its name, or its compose service."""
    views = group_by_project(reader.project_containers(core, host, project)).get(project, [])
    for match in (lambda v: ref in (v["id"], v["name"]),
                  lambda v: len(ref) >= 12 and ref.startswith(v["id"]),
                  lambda v: v["service"] == ref):
        found = [v for v in views if match(v)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise Conflict("several containers match", f"{ref} names {len(found)} containers; use a container name")
    raise NotFound("container not found", f"{project} has no container {ref}")


def service_action(core: Core, service_id: str, action: str, *, actor: Actor | None) -> dict[str, Any]:
    config = service.managed(core, service_id)
    name = config.name
    with audited(core.db, actor, f"service.{action}", target_id=config.id, target_name=name,
                 details={"host": config.host}), core.stacks.locked(name):
        if not core.stacks.exists(name):
            raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
        service.gateway_of(core, config.host).compose_action(core.stacks.project(name), action)
        with core.db.session() as session:
            repo.add_history(session, config.id, status=AFTER[action], event=action)
        reader.after_change(core, config.host, name)
    return service.get_service(core, config.id)


def container_action(core: Core, service_id: str, container: str, action: str, *, actor: Actor | None
                     ) -> dict[str, Any]:
    config = service.managed(core, service_id)
    name = config.name
    with audited(core.db, actor, f"container.{action}", target_id=config.id, target_name=name,
                 details={"container": container, "host": config.host}) as audit, core.stacks.locked(name):
        target = find_container(core, config.host, name, container)
        audit.details.update({"container": target["name"], "container_id": target["id"]})
        service.gateway_of(core, config.host).container_action(target["id"], action)
        with core.db.session() as session:
            repo.add_history(session, config.id, status=AFTER[action], event=f"container {action}",
                             detail=target["name"])
        reader.after_change(core, config.host, name)
    return service.get_service(core, config.id)


def _mask_env(env: list[str] | None) -> list[str]:
    return [item.split("=", 1)[0] + "=" + MASK if "=" in item else item for item in env or []]


def inspect(core: Core, service_id: str, container: str) -> dict[str, Any]:
    """`docker inspect` of one of the service's containers, environment values masked (read-only)."""
    _, name, host = service.resolve(core, service_id)
    target = find_container(core, host, name, container)
    info = service.gateway_of(core, host).inspect_container(target["id"])
    config = dict(info.get("Config") or {})
    config["Env"] = _mask_env(config.get("Env"))
    info["Config"] = config
    # Labels and the rest pass through the audit log's redaction rules too (password/token/secret keys).
    return redact_secrets(info)
