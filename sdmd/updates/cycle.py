"""One update run for one service: lock, check, pull what changed, apply, gate, roll back, record.

The check (sdmd/updates/check.py) asks the registries, without pulling, whether each image's tag
serves another digest than the one running, or whether the image's x-sdmd tag policy allows a
newer tag. `check` stops there. `update` pulls only the images that changed, compares the pulled
image ids with the running ones, and applies: a new tag is a one-line edit of compose.yaml,
committed (sdmd/updates/bump.py) before `docker compose up -d` and reverted after a failed gate.
Changes go through compose on the stored file, never through a container's inspect data, so
networks, volumes and environment come from the definition.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import re
from typing import Any

from redis import Redis
from redis.exceptions import LockError, RedisError

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.docker import ComposeProject
from sdmd.docker.gateway import SERVICE_LABEL
from sdmd.docker.registry import familiar
from sdmd.errors import NotFound, SdmdError
from sdmd.gitops.context import file_images
from sdmd.registries.service import auth_for
from sdmd.services import repository as services_repo
from sdmd.services.definition import parse_yaml, plain
from sdmd.updates import bump, records
from sdmd.updates.check import ERROR, UNKNOWN, UPDATE_AVAILABLE, Tracked, check_all, track
from sdmd.updates.gate import health_gate
from sdmd.updates.policy import Policy, file_policies
from sdmd.updates.records import Outcome, RunContext

log = logging.getLogger("sdmd.updates")

MODES = ("check", "update")
IMAGES_CACHE_SECONDS = 86400


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
    # hosts: every pull, compose call, registry check and health gate of the run goes to the service's host
    core = core.on_host(config.host)
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


def compose_images(core: Core, redis: Redis | None, project: ComposeProject) -> dict[str, str]:
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
    try:
        cached = redis.get(key) if redis is not None else None
    except RedisError:  # the cache is an optimisation; the API's preview works without Redis
        redis, cached = None, None
    if cached is not None:
        return json.loads(cached)
    config = core.docker.compose_config(project)
    images = {name: spec["image"] for name, spec in (config.get("services") or {}).items()
              if spec.get("image") and not spec.get("build")}
    if redis is not None:
        redis.set(key, json.dumps(images), ex=IMAGES_CACHE_SECONDS)
    return images


def read_policies(text: str | None) -> tuple[dict[str, Policy], dict[str, str | None], list[str]]:
    """Policies and literal image lines from compose.yaml itself: `docker compose config --format json`
    drops service-level x- keys, and the file is what a bump edits anyway."""
    if not text:
        return {}, {}, []
    try:
        doc = plain(parse_yaml(text))
    except SdmdError as exc:
        return {}, {}, [_reason(exc)]
    policies, problems = file_policies(doc)
    return policies, file_images(text), problems


class _PullFailed(SdmdError):
    message = "pull failed"

    def __init__(self, details: str) -> None:
        super().__init__("pull failed, service untouched", details)


def _pull_all(core: Core, tracked: list[Tracked]) -> None:
    """Pull what changed, at once (registry round trips overlap well), with each registry's credentials."""
    auths = {t.registry: auth_for(core, t.registry) for t in tracked}
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(tracked), 8) or 1) as pool:
        futures = {pool.submit(core.docker.pull, t.ref.repository, t.candidate_tag or t.ref.tag or "latest",
                               auths[t.registry]): t for t in tracked}
        errors = []
        for future, t in futures.items():
            try:
                t.new_id = future.result().image_id
            except SdmdError as exc:
                errors.append(f"{t.candidate_ref}: {_reason(exc)}")
    if errors:
        _restore_tags(core, tracked)  # a pull that did succeed must not leave its tag moved
        for t in tracked:
            if t.bump:
                _drop_candidate(core, t)
        raise _PullFailed("; ".join(errors))


def _drop_candidate(core: Core, t: Tracked) -> None:
    """Untag a pulled candidate tag nothing runs (Docker removes the image with its last tag)."""
    if t.bump and t.new_id and t.new_id not in t.running_ids:
        core.docker.remove_image(t.candidate_ref)


def _restore_tags(core: Core, tracked: list[Tracked]) -> None:
    """Point each moved tag back at the image the service runs, so nothing else picks up the new one."""
    for t in tracked:
        if t.changed and not t.bump and t.old_id and t.ref.tag:
            core.docker.tag_image(t.old_id, t.ref.repository, t.ref.tag)


def describe(t: Tracked) -> str:
    if t.bump:
        return f"{familiar(t.ref.repository)} {t.ref.tag} → {t.candidate_tag}"
    return f"{t.image} (new digest)"


def _cycle(core: Core, redis: Redis, ctx: RunContext) -> Outcome:
    name = ctx.service_name
    if not core.stacks.exists(name):
        return Outcome(records.ERROR, f"compose file {core.stacks.file(name)} is missing")
    project = core.stacks.project(name)
    images = compose_images(core, redis, project)
    policies, written, problems = read_policies(core.stacks.read(name))
    if problems:
        return Outcome(records.ERROR, f"invalid x-sdmd update policy: {'; '.join(problems)}")
    containers = core.docker.compose_containers(name)
    tracked = track(images, containers, policies, written)
    if not tracked:
        return Outcome(records.UP_TO_DATE, "no pullable images (builds or digest-pinned only)")
    check_all(core, tracked)
    failed = [t for t in tracked if t.status == ERROR]
    if failed:
        detail = "; ".join(f"{t.image}: {t.reason}" for t in failed)
        return Outcome(records.ERROR, f"registry check failed, service untouched: {detail}",
                       [t.view() for t in tracked])
    available = [t for t in tracked if t.status == UPDATE_AVAILABLE]
    if not available:
        if all(t.status == UNKNOWN for t in tracked):
            return Outcome(records.UNKNOWN, "; ".join(f"{t.image}: {t.reason}" for t in tracked),
                           [t.view() for t in tracked])
        return Outcome(records.UP_TO_DATE, None, [t.view() for t in tracked])
    summary = ", ".join(describe(t) for t in available)
    if ctx.mode == "check":
        return Outcome(records.UPDATE_AVAILABLE, f"newer image for {summary}", [t.view() for t in tracked])
    if ctx.trigger == "schedule":
        with core.db.sessions() as session:
            failed = records.failed_candidates(session, ctx.service_id)
        again = [t for t in available if (t.image, t.candidate_digest) in failed]
        for t in again:
            when = failed[(t.image, t.candidate_digest)].strftime("%Y-%m-%d %H:%M UTC")
            t.reason = (f"{t.reason}: failed its health gate at {when}; schedules try again when a newer build "
                        f"or tag appears (POST /api/services/{{id}}/update retries now)")
        available = [t for t in available if t not in again]
        if not available:
            return Outcome(records.UPDATE_AVAILABLE, "; ".join(f"{t.image}: {t.reason}" for t in again),
                           [t.view() for t in tracked])
    stuck = [t for t in available if t.bump and t.file_image is None]
    if stuck:  # the tag comes from a ${VARIABLE} (or differs between services): no line to edit
        for t in stuck:
            t.reason = f"{t.reason}; cannot change the tag: compose.yaml does not write {t.image} literally"
        available = [t for t in available if t not in stuck]
        if not available:
            return Outcome(records.UPDATE_AVAILABLE, "; ".join(f"{t.image}: {t.reason}" for t in stuck),
                           [t.view() for t in tracked])
    try:
        _pull_all(core, available)
    except _PullFailed as exc:
        return Outcome(records.ERROR, _reason(exc), [t.view() for t in tracked])
    changed = [t for t in available if t.changed]
    views = [t.view() for t in tracked]
    if not changed:
        return Outcome(records.UP_TO_DATE, "the pulled images are the ones running", views)
    if not containers and not any(t.bump for t in changed):
        # Nothing runs, so nothing is recreated: the fresh images wait for the next start.
        return Outcome(records.UPDATED, f"pulled {summary}; the service has no containers to recreate", views)
    return _apply(core, ctx, project, containers, changed, tracked)


def _apply(core: Core, ctx: RunContext, project: ComposeProject, before: list[dict[str, Any]],
           changed: list[Tracked], tracked: list[Tracked]) -> Outcome:
    changed_services = {s for t in changed for s in t.services}
    # One-shot services (not running before) are not expected to keep running afterwards.
    gated_services = {(c.get("Labels") or {}).get(SERVICE_LABEL) for c in before
                      if c.get("State") == "running"} & changed_services
    settings = core.settings
    bumps = [t for t in changed if t.bump]
    summary = ", ".join(describe(t) for t in changed)
    with core.stacks.locked(ctx.service_name):
        edit = None
        if bumps:
            try:
                edit = bump.write(core, ctx, bumps)
            except SdmdError as exc:
                _restore_tags(core, changed)
                for t in bumps:
                    _drop_candidate(core, t)
                return Outcome(records.ERROR, f"could not change compose.yaml: {_reason(exc)}",
                               [t.view() for t in tracked])
        try:
            if before:
                core.docker.compose_up(project)
        except SdmdError as exc:
            failure = f"compose up failed: {_compose_error(exc)}"
        else:
            after = core.docker.compose_containers(ctx.service_name)
            gate = [c["Id"] for c in after if (c.get("Labels") or {}).get(SERVICE_LABEL) in gated_services]
            failure = health_gate(core.docker, gate, grace=settings.health_grace_seconds,
                                  timeout=settings.health_timeout_seconds)
        if failure is None:
            if edit is not None:
                bump.keep(core, ctx, edit)
            _remove_superseded(core, ctx, keep={t.old_id for t in changed} | {t.new_id for t in changed})
            return Outcome(records.UPDATED, f"updated {summary}", [t.view() for t in tracked],
                           commit=edit.commit if edit else None)
        rollback_error, revert = _roll_back(core, ctx, project, changed, edit, failure)
    views = [t.view() for t in tracked]
    commit = edit.commit if edit else None
    if rollback_error:
        return Outcome(records.ERROR, f"{failure}; rollback failed: {rollback_error}", views, commit=commit,
                       revert_commit=revert)
    for t in changed:
        if t.bump:
            _drop_candidate(core, t)
        else:
            _remove_if_unused(core, t.new_id)
    return Outcome(records.ROLLED_BACK, failure, views, commit=commit, revert_commit=revert)


_PROGRESS = re.compile(r"^\s*(Container|Network|Volume) \S+\s+(Recreate|Recreated|Creating|Created|Starting|"
                       r"Started|Stopping|Stopped|Removing|Removed|Running|Waiting|Healthy)\s*$")


def _compose_error(exc: SdmdError) -> str:
    """compose's error without its progress lines."""
    lines = [line for line in (exc.details or exc.message).splitlines() if line.strip() and not _PROGRESS.match(line)]
    return " ".join(lines[-3:])[-1000:] or exc.message


def _roll_back(core: Core, ctx: RunContext, project: ComposeProject, changed: list[Tracked],
               edit: bump.Edit | None, failure: str) -> tuple[str | None, str | None]:
    """Re-point each tag at the previous image, put the previous file back (a revert commit), recreate.

    Returns (None when the old images run again, else what went wrong; the revert commit)."""
    revert = None
    try:
        _restore_tags(core, changed)
        if edit is not None:
            revert = bump.revert(core, ctx, edit, failure)
        core.docker.compose_up(project)
        after = core.docker.compose_containers(ctx.service_name)
    except SdmdError as exc:
        return _reason(exc), revert
    wrong = []
    for t in changed:
        for c in after:
            if (c.get("Labels") or {}).get(SERVICE_LABEL) in t.services and c.get("ImageID") != t.old_id:
                wrong.append((c.get("Names") or [c["Id"][:12]])[0].lstrip("/"))
    return (f"still on the new image: {', '.join(wrong)}" if wrong else None), revert


def _remove_if_unused(core: Core, image_id: str | None) -> bool:
    """Remove an image only when nothing names it any more; Docker itself refuses one a container uses."""
    if not image_id:
        return False
    info = core.docker.inspect_image(image_id)
    if info is None or info.get("RepoTags"):
        return False
    return core.docker.remove_image(image_id)


def _remove_superseded(core: Core, ctx: RunContext, *, keep: set[str | None]) -> None:
    with core.db.sessions() as session:
        candidates = records.superseded_images(session, ctx.service_id)
    in_use = {c.get("ImageID") for c in core.docker.compose_containers()}
    for image_id in candidates - keep - in_use:
        if _remove_if_unused(core, image_id):
            log.info("removed superseded image %s of %s", image_id[:19], ctx.service_name)

