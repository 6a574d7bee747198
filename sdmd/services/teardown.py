"""Deleting a service, in steps that a crash at any point leaves finishable.

A delete first writes its intent (StackStore.mark_deleting, outside the stacks folder), then takes the
project down, removes the folder, deletes the rows and commits; the intent goes last. If the process
dies in between, the next reconcile round finds the intent and runs the same steps again
(`finish_pending_deletes`): each of them is idempotent.

Taking the project down never depends on the compose file being readable (issue 12): the stack's
file first, then the database mirror's last applied text, then the containers, networks (and
volumes) found by the com.docker.compose.project label.
"""

from __future__ import annotations

import logging

from sdmd import faults
from sdmd.audit.log import AuditScope, audited
from sdmd.auth.identity import GITOPS, Actor
from sdmd.core import Core
from sdmd.docker import DockerGateway
from sdmd.errors import DockerUnavailable, SdmdError, Timeout, UpstreamError
from sdmd.gitops import hooks as gitops
from sdmd.hosts import reader
from sdmd.services import repository as repo
from sdmd.services.models import DockerServiceConfig

log = logging.getLogger("sdmd.services")

# Failures that say the host, not the file, is the problem: another way down would fail the same way.
_HOST_FAILURES = (DockerUnavailable, Timeout, UpstreamError)


def take_down(core: Core, gateway: DockerGateway, name: str, mirror_text: str | None, *,
              volumes: bool) -> str:
    """`compose down` by whatever still works; returns which: "file", "mirror" or "labels"."""
    reasons = []
    if core.stacks.exists(name):
        try:
            gateway.compose_down(core.stacks.project(name), volumes=volumes)
            return "file"
        except _HOST_FAILURES:
            raise
        except SdmdError as exc:
            reasons.append(f"the compose file: {exc.message}")
    if mirror_text is not None and core.stacks.read(name) != mirror_text:
        try:
            with core.stacks.candidate(name, mirror_text) as draft:
                gateway.compose_down(draft, volumes=volumes)
            return "mirror"
        except _HOST_FAILURES:
            raise
        except SdmdError as exc:
            reasons.append(f"the last applied file: {exc.message}")
    log.warning("compose down of %s failed (%s); removing its containers by label", name, "; ".join(reasons))
    gateway.remove_project(name, volumes=volumes)
    return "labels"


def delete_steps(core: Core, *, name: str, service_id: str | None, host: str, mirror_text: str | None,
                 volumes: bool, actor: Actor | None, audit: AuditScope, gateway: DockerGateway | None) -> None:
    """Everything a delete changes, in order; the caller holds the stack's lock and the audit scope."""
    core.stacks.mark_deleting(name, {"service_id": service_id, "host": host, "volumes": volumes})
    if gateway is not None:
        with faults.during("delete", "during_up"):
            audit.details["down_by"] = take_down(core, gateway, name, mirror_text, volumes=volumes)
    core.stacks.remove(name)
    core.stacks.remove_scratch(name)
    faults.point("delete", "after_write")
    with core.db.session() as session:
        row = repo.get(session, service_id) if service_id else repo.get_by_name(session, name)
        if row is not None:
            session.delete(row)
        faults.point("delete", "before_db_commit")
    if gateway is not None:
        reader.after_change(core, host, name)
    faults.point("delete", "before_git_commit")
    gitops.after_change(core, name=name, actor=actor, action="delete", audit=audit, service_id=None)
    core.stacks.clear_deleting(name)


def finish_pending_deletes(core: Core) -> list[str]:
    """Deletes a killed process began: finish each (under its stack's lock). Returns the names finished."""
    finished = []
    for name, record in core.stacks.pending_deletes().items():
        try:
            with core.stacks.locked(name):
                _finish(core, name, record)
            finished.append(name)
        except SdmdError as exc:  # the host is down: the intent stays, the next round tries again
            log.warning("could not finish the delete of %s: %s", name, exc.details or exc.message)
    return finished


def _finish(core: Core, name: str, record: dict) -> None:
    with core.db.sessions() as session:
        config: DockerServiceConfig | None = repo.get_by_name(session, name)
        mirror = config.compose_text if config is not None else None
        service_id = config.id if config is not None else record.get("service_id")
        host = config.host if config is not None else record.get("host") or "local"
    volumes = bool(record.get("volumes"))
    with audited(core.db, GITOPS, "service.delete", target_id=service_id, target_name=name,
                 details={"volumes": volumes, "host": host, "resumed": True}) as audit:
        gateway = core.hosts.gateway(spec) if (spec := core.hosts.find(host)) is not None else None
        delete_steps(core, name=name, service_id=service_id, host=host, mirror_text=mirror, volumes=volumes,
                     actor=GITOPS, audit=audit, gateway=gateway)
