"""`GET /api/services/{id}/updates`: what an update would change, per image, asked live of the registries.

Nothing is pulled and nothing changes: the same check a `mode=check` run makes, plus each side's
created date and OCI release labels (the running image's from the local engine, the candidate's
from its config blob in the registry), and links derived from a GitHub source label.
"""

from __future__ import annotations

from typing import Any

from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.errors import Conflict, NotFound
from sdmd.services import repository as services_repo
from sdmd.services.service import gateway_of
from sdmd.updates.check import UPDATE_AVAILABLE, Tracked, check_all, track
from sdmd.updates.cycle import compose_images, read_policies
from sdmd.updates.queue import redis_connection
from sdmd.updates.release import compare_url, release_info


def _side(tag: str | None, digest: str | None, image_id: str | None, info: dict[str, Any]) -> dict[str, Any]:
    return {"tag": tag, "digest": digest, "image_id": image_id, **info}


def image_view(t: Tracked) -> dict[str, Any]:
    current = _side(t.ref.tag, t.current_digest, t.old_id,
                    release_info(t.current_info.get("labels") or {}, t.current_info.get("created")))
    candidate = None
    change = None
    if t.status == UPDATE_AVAILABLE:
        change = "tag" if t.bump else "digest"
        info = t.candidate_info or release_info({}, None)
        candidate = _side(t.candidate_tag, t.candidate_digest, t.candidate_id, info)
    applicable = t.status == UPDATE_AVAILABLE and not (t.bump and t.file_image is None)
    return {
        "services": t.services, "image": t.image, "repository": t.ref.repository, "registry": t.registry,
        "policy": t.policy.view(), "status": t.status, "reason": t.reason, "change": change,
        "applicable": applicable,
        "new_image": f"{t.ref.repository}:{t.candidate_tag}" if change == "tag" else None,
        "current": current, "candidate": candidate,
        "compare_url": compare_url(current, candidate) if candidate else None,
    }


def service_updates(core: Core, service_id: str) -> dict[str, Any]:
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id) or services_repo.get_by_name(session, service_id)
    if config is None:
        if service_id.startswith("ext_"):
            raise Conflict("service is not managed by sdmd", f"{service_id} is read-only; sdmd does not update it")
        raise NotFound("service not found", f"No service with ID {service_id} exists")
    name = config.name
    if not core.stacks.exists(name):
        raise Conflict("compose file missing", f"{core.stacks.file(name)} does not exist")
    # hosts: the service's host answers for its containers and images (503 at once when it is down,
    # 409 when it was removed)
    gateway_of(core, config.host)
    core = core.on_host(config.host)
    try:
        redis = redis_connection(core.settings)
    except Exception:  # Redis only caches compose's answer here
        redis = None
    images = compose_images(core, redis, core.stacks.project(name))
    policies, written, problems = read_policies(core.stacks.read(name))
    tracked = track(images, core.docker.compose_containers(name), policies, written)
    check_all(core, tracked, details=True)
    views = [image_view(t) for t in tracked]
    return {"service_id": config.id, "name": name, "checked_at": utcnow(),
            "update_available": any(v["status"] == UPDATE_AVAILABLE for v in views),
            "policy_errors": problems, "images": views}
