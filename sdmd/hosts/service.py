"""Host operations behind /api/hosts: validate, test the connection, store, audit.

A create (and an update that changes how to connect) tests the connection before anything is
stored: the material is written to a staging folder, the host is asked for its version (and for an
SSH host its keys are scanned, and pinned when the request carries the fingerprint), and only then
is the folder moved into place and the row written. Bad input is a 422, an unreachable host a 502;
either way nothing is left behind. Every change is one audit record (host.create, host.update,
host.delete, host.pin); material never reaches the audit log or the logs.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from dataclasses import replace
from typing import Any

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id, utcnow
from sdmd.errors import Conflict, InvalidInput, NotFound
from sdmd.hosts import material, probe, reader, ssh
from sdmd.hosts import repository as repo
from sdmd.hosts.models import Host
from sdmd.hosts.registry import LOCAL, HostSpec, ssh_target, tls_files
from sdmd.hosts.schemas import HostCreate, HostUpdate
from sdmd.hosts.urls import SSH, TCP, UNIX, HostUrl, parse
from sdmd.services import repository as services_repo
from sdmd.services.definition import NAME_MAX, NAME_RE

LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$")
LABELS_MAX = 64


# -- reading ---------------------------------------------------------------------------------
def _view(spec: HostSpec, state: reader.HostView | None, services: int) -> dict[str, Any]:
    ssh_info = spec.ssh_info or {}
    host_key = spec.host_key or {}
    pinned = host_key.get("pinned") or []
    engine = (state.engine if state is not None else None) or spec.engine
    return {
        "id": spec.id, "name": spec.name, "url": spec.url, "kind": spec.kind, "local": spec.local,
        "labels": spec.labels, "state": state.state if state else "unknown",
        "state_since": state.since if state else None, "last_error": state.error if state else None,
        "engine": engine, "tls": spec.tls_info,
        "ssh": None if spec.kind != SSH else {
            "key_type": ssh_info.get("type"), "key_fingerprint": ssh_info.get("fingerprint"),
            "public_key": ssh_info.get("public_key"), "host_key_pinned": bool(pinned), "host_keys": pinned,
            "pinned_at": host_key.get("pinned_at")},
        "services": services, "created_at": spec.created_at, "updated_at": spec.updated_at,
    }


def _counts(core: Core) -> dict[str, int]:
    with core.db.sessions() as session:
        return services_repo.host_counts(session)


def list_hosts(core: Core) -> list[dict[str, Any]]:
    specs = core.hosts.all(fresh=True)
    states = reader.views(core)
    counts = _counts(core)
    return [_view(s, states.get(s.name), counts.get(s.name, 0)) for s in specs]


def get_host(core: Core, ref: str) -> dict[str, Any]:
    spec = core.hosts.find(ref, fresh=True)
    if spec is None:
        raise NotFound("host not found", f"No host {ref} exists")
    return _view(spec, reader.views(core, [spec.name]).get(spec.name), _counts(core).get(spec.name, 0))


# -- validation ------------------------------------------------------------------------------
def _name(core: Core, name: str, *, own_id: str | None = None) -> str:
    if len(name) > NAME_MAX or not NAME_RE.match(name):
        raise InvalidInput("invalid host name", f"{name!r} must match ^[a-z0-9][a-z0-9_-]*$ (at most {NAME_MAX})")
    if name == LOCAL:
        raise Conflict("host name taken", "local is the built-in host")
    with core.db.sessions() as session:
        other = repo.get_by_name(session, name)
    if other is not None and other.id != own_id:
        raise Conflict("host name taken", f"a host named {name} exists")
    return name


def _labels(labels: dict[str, str]) -> dict[str, str]:
    if len(labels) > LABELS_MAX:
        raise InvalidInput("invalid labels", f"at most {LABELS_MAX} labels")
    for key, value in labels.items():
        if not LABEL_KEY_RE.match(key) or not isinstance(value, str) or len(value) > 255:
            raise InvalidInput("invalid labels", f"{key!r}: keys are [A-Za-z0-9._/-] (at most 63), values "
                                                 "strings of at most 255 characters")
    return dict(labels)


def _unique_url(core: Core, url: str, own_id: str | None = None) -> None:
    for spec in core.hosts.all(fresh=True):
        if spec.url == url and spec.id != own_id:
            raise Conflict("host already configured", f"{spec.name} has the URL {url}")


def _material(parsed: HostUrl, tls: Any, ssh_key: str | None, *, required: bool
              ) -> tuple[dict[str, bytes], dict[str, Any] | None, dict[str, Any] | None]:
    """(files to store, tls metadata, ssh key metadata) for the URL's kind; refuses what does not belong."""
    tls_given = tls is not None
    if parsed.kind == UNIX and (tls_given or ssh_key):
        raise InvalidInput("invalid host material", "a unix:// host takes neither tls nor ssh_key")
    if parsed.kind == TCP:
        if ssh_key:
            raise InvalidInput("invalid host material", "a tcp:// host takes tls, not ssh_key")
        if not tls_given:
            if required:
                raise InvalidInput("TLS material required", "tcp:// hosts are reached with mutual TLS only (anyone "
                                                            "who reaches a plain Docker port is root there): give "
                                                            "tls: {ca, cert, key}")
            return {}, None, None
        files, info = material.check_tls(tls.model_dump() if hasattr(tls, "model_dump") else tls)
        return files, info, None
    if parsed.kind == SSH:
        if tls_given:
            raise InvalidInput("invalid host material", "an ssh:// host takes ssh_key, not tls")
        if not ssh_key:
            if required:
                raise InvalidInput("SSH key required", "give ssh_key: the private key sdmd logs in with (its "
                                                       "public half goes into the host's authorized_keys)")
            return {}, None, None
        files, info = material.check_ssh_key(ssh_key)
        return files, None, info
    return {}, None, None


def _contact(core: Core, spec: HostSpec, fingerprint: str | None) -> tuple[dict[str, Any] | None, dict | None]:
    """Test a host that is not stored yet: (host_key json, engine). Raises 502 when it cannot be reached."""
    if spec.kind != SSH:
        return None, probe.connect(core.hosts, spec)["engine"]
    assert spec.ssh is not None
    timeout = core.settings.ssh_connect_timeout_seconds
    already = ssh.pinned(spec.ssh)
    if fingerprint is None and not already:
        presented = ssh.scan(spec.ssh, timeout)  # reachable, and what to confirm next
        return {"pinned": [], "presented": [k.view() for k in presented]}, None
    if fingerprint is not None:
        _, keys = probe.host_key(spec.ssh, fingerprint=fingerprint, replace=False, timeout=timeout)
        if keys:
            ssh.pin(spec.ssh, keys)
    keys_now = ssh.pinned(spec.ssh)
    engine = probe.connect(core.hosts, spec)["engine"]
    return {"pinned": [k.view() for k in keys_now], "pinned_at": utcnow().isoformat()}, engine


def _staged_spec(spec: HostSpec, parsed: HostUrl, staging: Any) -> HostSpec:
    return replace(spec, url=parsed.url, kind=parsed.kind, tls=tls_files(staging) if parsed.kind == TCP else None,
                   ssh=ssh_target(parsed, staging) if parsed.kind == SSH else None)


def _after_change(core: Core, host_id: str) -> None:
    core.hosts.drop(host_id)
    if core.live is not None:
        core.live.nudge()
        core.live.sync()
        watcher = core.live.watcher_by_id(host_id)
        if watcher is not None:  # let the answer show the host connected when it connects at once
            s = core.settings
            watcher.wait_connected(s.host_timeout_seconds + (s.ssh_connect_timeout_seconds if watcher.starting else 0))


# -- changes ---------------------------------------------------------------------------------
def create_host(core: Core, *, actor: Actor | None, body: HostCreate) -> dict[str, Any]:
    with audited(core.db, actor, "host.create", target_name=body.name) as audit:
        name = _name(core, body.name)
        parsed = parse(body.url)
        audit.details.update({"url": parsed.url, "kind": parsed.kind, "labels": body.labels})
        labels = _labels(body.labels)
        _unique_url(core, parsed.url)
        files, tls_info, ssh_info = _material(parsed, body.tls, body.ssh_key, required=True)
        if body.fingerprint is not None and parsed.kind != SSH:
            raise InvalidInput("invalid host", "fingerprint is for ssh:// hosts")
        host_id = new_id("host")
        staging = core.hosts.material_dir(f".new-{host_id}")
        final = core.hosts.material_dir(host_id)
        try:
            material.store(staging, files)
            spec = _staged_spec(HostSpec(id=host_id, name=name, url=parsed.url, kind=parsed.kind, revision=1),
                                parsed, staging)
            host_key, engine = _contact(core, spec, body.fingerprint)
            os.rename(staging, final)
            with core.db.session() as session:
                session.add(Host(id=host_id, name=name, url=parsed.url, labels=labels, tls=tls_info,
                                 ssh_key=ssh_info, host_key=host_key, engine=engine, revision=1))
        except BaseException:
            material.remove(staging)
            material.remove(final)
            raise
        audit.target_id = host_id
        audit.details["host_key"] = [k["fingerprint"] for k in (host_key or {}).get("pinned") or []]
    _after_change(core, host_id)
    return get_host(core, host_id)


def _local_refused(spec: HostSpec, what: str) -> None:
    if spec.local:
        raise Conflict(f"the local host cannot be {what}",
                       "local is SDMD_DOCKER_HOST (or the local socket): change that setting instead")


def update_host(core: Core, ref: str, *, actor: Actor | None, body: HostUpdate) -> dict[str, Any]:
    spec = core.hosts.get(ref)
    _local_refused(spec, "changed")
    with audited(core.db, actor, "host.update", target_id=spec.id, target_name=spec.name) as audit:
        with core.db.sessions() as session:
            row = repo.get(session, spec.id)
        if row is None:
            raise NotFound("host not found", f"No host {ref} exists")
        changed: dict[str, Any] = {}
        if body.name is not None and body.name != row.name:
            with core.db.sessions() as session:
                using = services_repo.names_on_host(session, row.name)
            if using:
                raise Conflict("host has services", f"their compose files name {row.name}: {', '.join(using)}; "
                                                    "renaming would orphan them")
            changed["name"] = _name(core, body.name, own_id=row.id)
        if body.labels is not None:
            changed["labels"] = _labels(body.labels)
        parsed = parse(body.url) if body.url is not None else parse(row.url)
        connection = parsed.url != row.url or body.tls is not None or body.ssh_key is not None
        audit.details.update({"changed": sorted([*changed, *(["connection"] if connection else [])]),
                              "url": parsed.url})
        if connection:
            changed.update(_reconnect(core, spec, row, parsed, body))
        with core.db.session() as session:
            stored = repo.get(session, spec.id)
            assert stored is not None
            for key, value in changed.items():
                setattr(stored, key, value)
            if connection:
                stored.revision = row.revision + 1
    _after_change(core, spec.id)
    return get_host(core, spec.id)


def _reconnect(core: Core, spec: HostSpec, row: Host, parsed: HostUrl, body: HostUpdate) -> dict[str, Any]:
    """New URL and/or material, tested in a staging copy, then swapped in: {column: value} to store."""
    _unique_url(core, parsed.url, own_id=row.id)
    old = parse(row.url)
    same_kind = old.kind == parsed.kind
    files, tls_info, ssh_info = _material(parsed, body.tls, body.ssh_key, required=not same_kind)
    final = core.hosts.material_dir(row.id)
    staging = core.hosts.material_dir(f".upd-{row.id}-{secrets.token_hex(3)}")
    try:
        if same_kind and final.is_dir():
            shutil.copytree(final, staging)
        material.store(staging, files)
        same_endpoint = same_kind and (old.host, old.port) == (parsed.host, parsed.port)
        if parsed.kind == SSH and not same_endpoint:
            (staging / material.KNOWN_HOSTS_FILE).unlink(missing_ok=True)  # another server: pin again
        staged = _staged_spec(spec, parsed, staging)
        host_key, engine = _contact(core, staged, body.fingerprint)
        retired = core.hosts.material_dir(f".old-{row.id}-{secrets.token_hex(3)}")
        if final.exists():
            os.rename(final, retired)
        os.rename(staging, final)
        material.remove(retired)
    except BaseException:
        material.remove(staging)
        raise
    values: dict[str, Any] = {"url": parsed.url, "host_key": host_key, "engine": engine or row.engine}
    values["tls"] = tls_info if tls_info is not None else (row.tls if parsed.kind == TCP else None)
    values["ssh_key"] = ssh_info if ssh_info is not None else (row.ssh_key if parsed.kind == SSH else None)
    return values


def delete_host(core: Core, ref: str, *, actor: Actor | None, force: bool = False) -> dict[str, Any]:
    """409 while services name the host, unless forced: then they are orphaned and nothing on the host
    is touched (their folders, files and containers stay as they are)."""
    spec = core.hosts.get(ref)
    _local_refused(spec, "removed")
    with audited(core.db, actor, "host.delete", target_id=spec.id, target_name=spec.name,
                 details={"force": force, "url": spec.url}) as audit:
        with core.db.sessions() as session:
            names = services_repo.names_on_host(session, spec.name)
        if names and not force:
            raise Conflict("host has services",
                           f"{len(names)} service(s) run on {spec.name}: {', '.join(names)}. Move or delete them "
                           "first, or DELETE with ?force=true to orphan them (nothing on the host is touched)")
        audit.details["orphaned"] = names
        with core.db.session() as session:
            row = repo.get(session, spec.id)
            if row is not None:
                session.delete(row)
        core.hosts.drop(spec.id)
        material.remove(core.hosts.material_dir(spec.id))
    if core.live is not None:
        core.live.nudge()
        core.live.sync()
    return {"status": "deleted", "id": spec.id, "orphaned": names}


def test_host(core: Core, ref: str, *, actor: Actor | None, fingerprint: str | None = None,
              replace_key: bool = False) -> dict[str, Any]:
    """Connect now and report; for SSH show the host key, and pin it when `fingerprint` confirms it."""
    spec = core.hosts.get(ref)
    result: dict[str, Any] = {"ok": False, "host": spec.name}
    if spec.kind == SSH and not spec.local:
        assert spec.ssh is not None
        view, keys = probe.host_key(spec.ssh, fingerprint=fingerprint, replace=replace_key,
                                    timeout=core.settings.ssh_connect_timeout_seconds)
        if keys:
            spec = _pin(core, spec, actor, keys, replaced=bool(ssh.pinned(spec.ssh)))
        result["host_key"] = view
        if not view["pinned"]:
            result["error"] = (f"the host key of {spec.name} is not pinned yet: check that {view['fingerprint']} "
                               "is the host's key, then send it back as {\"fingerprint\": \"...\"}")
            return result
    elif fingerprint is not None:
        raise InvalidInput("invalid request", "fingerprint is for ssh:// hosts")
    found = probe.connect(core.hosts, spec)
    if not spec.local:
        with core.db.session() as session:
            row = repo.get(session, spec.id)
            if row is not None:
                row.engine = found["engine"]
    result.update(found)
    result["ok"] = bool(found["compose"]["ok"])
    if not result["ok"]:
        result["error"] = f"the engine answers, but compose does not work there: {found['compose'].get('error')}"
    return result


def _pin(core: Core, spec: HostSpec, actor: Actor | None, keys: list[ssh.HostKey], *, replaced: bool) -> HostSpec:
    assert spec.ssh is not None
    with audited(core.db, actor, "host.pin", target_id=spec.id, target_name=spec.name,
                 details={"fingerprints": [k.fingerprint for k in keys], "replaced": replaced}):
        ssh.pin(spec.ssh, keys)
        with core.db.session() as session:
            row = repo.get(session, spec.id)
            assert row is not None
            row.host_key = {"pinned": [k.view() for k in keys], "pinned_at": utcnow().isoformat()}
            row.revision += 1  # every process reconnects with the new known_hosts
    _after_change(core, spec.id)
    return core.hosts.get(spec.id)
