"""Testing a host before trusting it: connect, ask the engine, check compose; for SSH, the host key.

Host keys are pinned only on request: the caller sends back the fingerprint it checked (out of band,
e.g. `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host). sdmd scans the keys again at
that moment and pins them only if that fingerprint is among them. Once pinned, a different key is
refused (409 host key changed) until someone confirms the new one with `replace: true`.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import Any

from sdmd.errors import Conflict, DockerUnavailable, HostKeyChanged, HostUnreachable, SdmdError, Timeout, UpstreamError
from sdmd.hosts import ssh
from sdmd.hosts.registry import HostRegistry, HostSpec

_probes = itertools.count(1)


def engine_view(version: dict[str, Any]) -> dict[str, Any]:
    return {"version": version.get("Version"), "api_version": version.get("ApiVersion"), "os": version.get("Os"),
            "arch": version.get("Arch"), "kernel": version.get("KernelVersion")}


def unreachable(exc: SdmdError) -> SdmdError:
    """Connection failures become 502 host unreachable; refusals (host key, bad input) keep their own status."""
    if isinstance(exc, DockerUnavailable | UpstreamError | Timeout) and not isinstance(exc, HostUnreachable):
        return HostUnreachable(details=exc.details or exc.message)
    return exc


def connect(registry: HostRegistry, spec: HostSpec) -> dict[str, Any]:
    """A fresh connection (never the pooled one): engine, latency of one call, and compose there."""
    gateway, tunnel = registry.make_gateway(spec, name=f"{spec.id[-12:]}-p{next(_probes)}-{os.getpid()}")
    timeout = registry.settings.docker_timeout_seconds
    try:
        try:
            version = gateway.version(timeout=timeout)
            started = time.perf_counter()
            gateway.version(timeout=timeout)
            latency = (time.perf_counter() - started) * 1000
        except SdmdError as exc:
            raise unreachable(exc) from exc
        try:
            compose = {"ok": True, **gateway.compose_check()}
        except SdmdError as exc:
            compose = {"ok": False, "error": f"{exc.message}: {exc.details}" if exc.details else exc.message}
        return {"engine": engine_view(version), "latency_ms": round(latency, 3), "compose": compose}
    finally:
        gateway.close()
        if tunnel is not None:
            tunnel.close()


def host_key(target: ssh.SshTarget, *, fingerprint: str | None, replace: bool,
             timeout: float) -> tuple[dict[str, Any], list[ssh.HostKey] | None]:
    """(the host_key part of a test result, the keys to pin now or None).

    Raises 409 when the fingerprint given is not what the host presents, or when the host presents
    another key than the pinned one (unless `replace`)."""
    presented = ssh.scan(target, timeout)
    present = [k.fingerprint for k in presented]
    pinned = [k.fingerprint for k in ssh.pinned(target)]
    view = {"fingerprint": presented[0].fingerprint, "type": presented[0].type,
            "keys": [k.view() for k in presented], "pinned": bool(pinned), "pinned_now": False}
    if fingerprint is not None:
        fingerprint = fingerprint.strip()
        if fingerprint not in present:
            raise Conflict("fingerprint does not match",
                           f"ssh {target.pattern} presents {', '.join(present)}, not {fingerprint}; nothing was pinned")
        if pinned and fingerprint not in pinned and not replace:
            raise HostKeyChanged(details=f"ssh {target.pattern}: {fingerprint} is not the pinned key "
                                         f"({', '.join(pinned)}); send replace: true to trust the new key")
        if set(present) == set(pinned):
            return view, None
        return {**view, "pinned": True, "pinned_now": True}, presented
    if pinned and not set(present) & set(pinned):
        raise HostKeyChanged(details=f"ssh {target.pattern} presents {', '.join(present)}, but "
                                     f"{', '.join(pinned)} is pinned: refusing to connect. If the host was "
                                     "reinstalled, confirm the new fingerprint with replace: true")
    return view, None
