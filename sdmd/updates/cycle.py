"""One update run for one service: lock, pull, compare, apply, gate, roll back, record.

Compared are image ids: the one each container was created from (ImageID in the container
list) against the one the tag names after a fresh pull. Nothing is recreated when they match.
Changes go through `docker compose up -d` on the stored compose file, never through a
container's inspect data, so networks, volumes and environment come from the definition.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.exceptions import LockError

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.docker import ComposeProject, DockerGateway
from sdmd.docker.gateway import SERVICE_LABEL
from sdmd.errors import NotFound, SdmdError
from sdmd.live import progress
from sdmd.services import repository as services_repo
from sdmd.updates import records
from sdmd.updates.gate import health_gate
from sdmd.updates.records import Outcome, RunContext
from sdmd.updates.refs import ImageRef, parse_ref

log = logging.getLogger("sdmd.updates")

MODES = ("check", "update")
IMAGES_CACHE_SECONDS = 86400


@dataclass
class Tracked:
    """One image reference of the compose file and what the run learnt about it."""

    image: str
    ref: ImageRef
    services: list[str]
    running_ids: list[str] = field(default_factory=list)
    tag_id_before: str | None = None
    new_id: str | None = None

    @property
    def old_id(self) -> str | None:
        if self.running_ids:
            return Counter(self.running_ids).most_common(1)[0][0]
        return self.tag_id_before

    @property
    def changed(self) -> bool:
        if self.new_id is None:
            return False
        if self.running_ids:
            return any(i != self.new_id for i in self.running_ids)
        return self.tag_id_before != self.new_id

    def view(self) -> dict[str, Any]:
        return {"service": ",".join(self.services), "image": self.image, "old_id": self.old_id,
                "new_id": self.new_id, "changed": self.changed}


def lock_key(service_id: str) -> str:
    return f"sdmd:update-lock:{service_id}"


def run_update(core: Core, redis: Redis, *, service_id: str, mode: str, actor: Actor, trigger: str = "manual",
               schedule_id: str | None = None, job_id: str | None = None) -> dict[str, Any]:
    """Run the cycle and record it; returns the run as the API shows it."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    with core.db.sessions() as session:
        config = services_repo.get(session, service_id)
    if config is None:
        raise NotFound("service not found", f"No service with ID {service_id} exists")
    ctx = RunContext(service_id=config.id, service_name=config.name, mode=mode, trigger=trigger, actor=actor,
                     schedule_id=schedule_id, job_id=job_id, host=config.host)
    started = utcnow()
    lock = redis.lock(lock_key(config.id), timeout=core.settings.update_lock_seconds, blocking=False)
    if not lock.acquire():
        outcome = Outcome(records.SKIPPED, "another update of this service is in progress")
    else:
        try:
            outcome = _cycle(core, redis, ctx)
        except SdmdError as exc:
            outcome = Outcome(records.ERROR, _reason(exc))
        except Exception as exc:  # a run must always be recorded, whatever broke
            log.exception("update of %s failed", config.name)
            outcome = Outcome(records.ERROR, f"{type(exc).__name__}: {exc}")
        finally:
            try:
                lock.release()
            except LockError:
                log.warning("update lock of %s expired before the run ended", config.name)
    log.info("update %s (%s, %s): %s %s", config.name, mode, trigger, outcome.result, outcome.reason or "")
    return records.write_run(core, ctx, outcome, started=started, finished=utcnow())


def _reason(exc: SdmdError) -> str:
    return f"{exc.message}: {exc.details}" if exc.details else exc.message


def _docker(core: Core, ctx: RunContext) -> DockerGateway:
    """The gateway of the service's host (made once per process and reused between runs)."""
    return core.gateway(ctx.host)


def compose_images(core: Core, redis: Redis, project: ComposeProject) -> dict[str, str]:
    """{compose service: image} for services that run a pulled image (not a local build).

    `docker compose config` resolves interpolation, .env, extends and profiles, but costs a
    process start, so its answer is cached under a hash of everything it read.
    """
    digest = hashlib.sha256(project.name.encode())
    for path in [*project.compose_files, project.directory / ".env"]:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except FileNotFoundError:
            digest.update(b"\0missing")
    digest.update(json.dumps(sorted(os.environ.items())).encode())
    key = f"sdmd:compose-images:{digest.hexdigest()}"
    cached = redis.get(key)
    if cached is not None:
        return json.loads(cached)
    config = core.docker.compose_config(project)
    images = {name: spec["image"] for name, spec in (config.get("services") or {}).items()
              if spec.get("image") and not spec.get("build")}
    redis.set(key, json.dumps(images), ex=IMAGES_CACHE_SECONDS)
    return images


def _track(images: dict[str, str], containers: list[dict[str, Any]]) -> list[Tracked]:
    by_image: dict[str, Tracked] = {}
    for service, image in images.items():
        ref = parse_ref(image)
        if ref.pinned:
            continue
        tracked = by_image.setdefault(image, Tracked(image=image, ref=ref, services=[]))
        tracked.services.append(service)
    for c in containers:
        service = (c.get("Labels") or {}).get(SERVICE_LABEL)
        for tracked in by_image.values():
            if service in tracked.services and c.get("ImageID"):
                tracked.running_ids.append(c["ImageID"])
    return list(by_image.values())


class _PullFailed(SdmdError):
    message = "pull failed"

    def __init__(self, details: str) -> None:
        super().__init__("pull failed, service untouched", details)


def _pull_all(docker: DockerGateway, tracked: list[Tracked]) -> None:
    """Pull every reference at once: registry round trips dominate, so they overlap well."""
    for t in tracked:
        if not t.running_ids:
            info = docker.inspect_image(t.image)
            t.tag_id_before = info["Id"] if info else None
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(tracked), 8) or 1) as pool:
        progress.step(f"Pulling {len(tracked)} image(s)")  # live: each pull reports its layers
        futures = {pool.submit(progress.bind(docker.pull), t.ref.repository, t.ref.tag or "latest"): t
                   for t in tracked}
        errors = []
        for future, t in futures.items():
            try:
                t.new_id = future.result().image_id
            except SdmdError as exc:
                errors.append(f"{t.image}: {_reason(exc)}")
    if errors:
        _restore_tags(docker, tracked)  # a pull that did succeed must not leave its tag moved
        raise _PullFailed("; ".join(errors))


def _restore_tags(docker: DockerGateway, tracked: list[Tracked]) -> None:
    """Point each moved tag back at the image the service runs, so nothing else picks up the new one."""
    for t in tracked:
        if t.changed and t.old_id and t.ref.tag:
            docker.tag_image(t.old_id, t.ref.repository, t.ref.tag)


def _cycle(core: Core, redis: Redis, ctx: RunContext) -> Outcome:
    name = ctx.service_name
    if not core.stacks.exists(name):
        return Outcome(records.ERROR, f"compose file {core.stacks.file(name)} is missing")
    project = core.stacks.project(name)
    docker = _docker(core, ctx)
    images = compose_images(core, redis, project)
    containers = docker.compose_containers(name)
    tracked = _track(images, containers)
    if not tracked:
        return Outcome(records.UP_TO_DATE, "no pullable images (builds or digest-pinned only)")
    try:
        _pull_all(docker, tracked)
    except _PullFailed as exc:
        return Outcome(records.ERROR, _reason(exc), [t.view() for t in tracked])
    changed = [t for t in tracked if t.changed]
    views = [t.view() for t in tracked]
    if not changed:
        return Outcome(records.UP_TO_DATE, None, views)
    summary = ", ".join(t.image for t in changed)
    if ctx.mode == "check":
        _restore_tags(docker, changed)
        return Outcome(records.UPDATE_AVAILABLE, f"newer image for {summary}", views)
    if not containers:
        # Nothing runs, so nothing is recreated: the fresh images wait for the next start.
        return Outcome(records.UPDATED, f"pulled {summary}; the service has no containers to recreate", views)
    return _apply(core, ctx, project, containers, changed, views)


def _apply(core: Core, ctx: RunContext, project: ComposeProject, before: list[dict[str, Any]],
           changed: list[Tracked], views: list[dict[str, Any]]) -> Outcome:
    changed_services = {s for t in changed for s in t.services}
    # One-shot services (not running before) are not expected to keep running afterwards.
    gated_services = {(c.get("Labels") or {}).get(SERVICE_LABEL) for c in before
                      if c.get("State") == "running"} & changed_services
    settings = core.settings
    docker = _docker(core, ctx)
    with core.stacks.locked(ctx.service_name):
        progress.step(f"Recreating what changed: {', '.join(sorted(changed_services))}")
        try:
            docker.compose_up(project)
        except SdmdError as exc:
            failure = f"compose up failed: {_compose_error(exc)}"
        else:
            after = docker.compose_containers(ctx.service_name)
            gate = [c["Id"] for c in after if (c.get("Labels") or {}).get(SERVICE_LABEL) in gated_services]
            failure = health_gate(docker, gate, grace=settings.health_grace_seconds,
                                  timeout=settings.health_timeout_seconds)
        if failure is None:
            _remove_superseded(core, ctx, keep={t.old_id for t in changed} | {t.new_id for t in changed})
            return Outcome(records.UPDATED, f"updated {', '.join(t.image for t in changed)}", views)
        rollback_error = _roll_back(core, ctx, project, changed)
    if rollback_error:
        return Outcome(records.ERROR, f"{failure}; rollback failed: {rollback_error}", views)
    for t in changed:
        _remove_if_unused(docker, t.new_id)
    return Outcome(records.ROLLED_BACK, failure, views)


_PROGRESS = re.compile(r"^\s*(Container|Network|Volume) \S+\s+(Recreate|Recreated|Creating|Created|Starting|"
                       r"Started|Stopping|Stopped|Removing|Removed|Running|Waiting|Healthy)\s*$")


def _compose_error(exc: SdmdError) -> str:
    """compose's error without its progress lines."""
    lines = [line for line in (exc.details or exc.message).splitlines() if line.strip() and not _PROGRESS.match(line)]
    return " ".join(lines[-3:])[-1000:] or exc.message


def _roll_back(core: Core, ctx: RunContext, project: ComposeProject, changed: list[Tracked]) -> str | None:
    """Re-point each tag at the previous image and recreate; None when the old images run again."""
    progress.step("Rolling back to the previous images")
    docker = _docker(core, ctx)
    try:
        _restore_tags(docker, changed)
        docker.compose_up(project)
        after = docker.compose_containers(ctx.service_name)
    except SdmdError as exc:
        return _reason(exc)
    wrong = []
    for t in changed:
        for c in after:
            if (c.get("Labels") or {}).get(SERVICE_LABEL) in t.services and c.get("ImageID") != t.old_id:
                wrong.append((c.get("Names") or [c["Id"][:12]])[0].lstrip("/"))
    return f"still on the new image: {', '.join(wrong)}" if wrong else None


def _remove_if_unused(docker: DockerGateway, image_id: str | None) -> bool:
    """Remove an image only when nothing names it any more; Docker itself refuses one a container uses."""
    if not image_id:
        return False
    info = docker.inspect_image(image_id)
    if info is None or info.get("RepoTags"):
        return False
    return docker.remove_image(image_id)


def _remove_superseded(core: Core, ctx: RunContext, *, keep: set[str | None]) -> None:
    with core.db.sessions() as session:
        candidates = records.superseded_images(session, ctx.service_id)
    docker = _docker(core, ctx)
    in_use = {c.get("ImageID") for c in docker.compose_containers()}
    for image_id in candidates - keep - in_use:
        if _remove_if_unused(docker, image_id):
            log.info("removed superseded image %s of %s", image_id[:19], ctx.service_name)

