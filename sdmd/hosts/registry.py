"""Every Docker host this sdmd knows, and one gateway per host per process, made once and reused.

`local` is never stored: it is SDMD_DOCKER_HOST (else DOCKER_HOST, else the local socket). Other
hosts are rows of the hosts table plus their material files. A gateway holds a docker-py client
pool and, for an SSH host, the host's tunnel (master connection + forwarding socket); it is
replaced only when the host's `revision` changes (its URL, material or pinned key changed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from sdmd.config import Settings
from sdmd.db import Database
from sdmd.docker import DockerGateway, Endpoint, TlsFiles
from sdmd.errors import NotFound
from sdmd.hosts import material
from sdmd.hosts import repository as repo
from sdmd.hosts.models import Host
from sdmd.hosts.ssh import SshTarget, SshTunnel
from sdmd.hosts.ssh import run as ssh_run
from sdmd.hosts.urls import SSH, TCP, UNIX, HostUrl, parse

LOCAL = "local"
CACHE_SECONDS = 1.0  # host definitions changed by another process are seen this late, at most
RUNTIME_DIR_MAX = 60  # unix socket paths are limited to 108 bytes; ssh adds a suffix to ControlPath


@dataclass(frozen=True)
class HostSpec:
    """One host as sdmd connects to it (no secrets: the material is referenced by path)."""

    id: str
    name: str
    url: str
    kind: str
    revision: int
    labels: dict[str, str] = field(default_factory=dict)
    local: bool = False
    tls: TlsFiles | None = None
    ssh: SshTarget | None = None
    tls_info: dict[str, Any] | None = None
    ssh_info: dict[str, Any] | None = None
    host_key: dict[str, Any] | None = None
    engine: dict[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def tls_files(directory: Path) -> TlsFiles:
    return TlsFiles(ca=directory / material.CA_FILE, cert=directory / material.CERT_FILE,
                    key=directory / material.KEY_FILE)


def ssh_target(parsed: HostUrl, directory: Path) -> SshTarget:
    assert parsed.host is not None and parsed.port is not None
    return SshTarget(user=parsed.user, host=parsed.host, port=parsed.port,
                     identity=directory / material.SSH_KEY_FILE, known_hosts=directory / material.KNOWN_HOSTS_FILE)


class HostRegistry:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._gateways: dict[str, tuple[int, DockerGateway, SshTunnel | None]] = {}
        self._lock = threading.Lock()
        self._cache: tuple[float, list[HostSpec]] | None = None

    # -- definitions ---------------------------------------------------------------------------
    def material_dir(self, host_id: str) -> Path:
        return self.settings.data_dir / "hosts" / host_id

    @cached_property
    def runtime_dir(self) -> Path:
        """Where forwarding and control sockets live: the data dir's run/, or a short path in /tmp."""
        preferred = (self.settings.data_dir / "run").resolve()
        if len(str(preferred)) > RUNTIME_DIR_MAX:
            digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
            preferred = Path("/tmp") / f"sdmd-run-{digest}"
        preferred.mkdir(parents=True, exist_ok=True, mode=0o700)
        preferred.chmod(0o700)
        _remove_stale(preferred)
        return preferred

    def local(self) -> HostSpec:
        url = self.settings.docker_host or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        kind = url.split("://", 1)[0] if "://" in url else UNIX
        return HostSpec(id=LOCAL, name=LOCAL, url=url, kind=kind, revision=0, local=True)

    def spec(self, row: Host) -> HostSpec:
        parsed = parse(row.url)
        directory = self.material_dir(row.id)
        return HostSpec(
            id=row.id, name=row.name, url=parsed.url, kind=parsed.kind, revision=row.revision,
            labels=dict(row.labels or {}), tls=tls_files(directory) if parsed.kind == TCP else None,
            ssh=ssh_target(parsed, directory) if parsed.kind == SSH else None, tls_info=row.tls,
            ssh_info=row.ssh_key, host_key=row.host_key, engine=row.engine, created_at=row.created_at,
            updated_at=row.updated_at)

    def all(self, *, fresh: bool = False) -> list[HostSpec]:
        """`local` first, then the stored hosts by name."""
        cached = self._cache
        if not fresh and cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self.db.sessions() as session:
            rows = repo.all_hosts(session)
        specs = [self.local(), *(self.spec(r) for r in rows)]
        self._cache = (time.monotonic(), specs)
        return specs

    def find(self, ref: str, *, fresh: bool = False) -> HostSpec | None:
        """By name or id."""
        for spec in self.all(fresh=fresh):
            if ref in (spec.name, spec.id):
                return spec
        if not fresh:
            return self.find(ref, fresh=True)  # made by another process within the cache window
        return None

    def get(self, ref: str) -> HostSpec:
        spec = self.find(ref)
        if spec is None:
            raise NotFound("host not found", f"No host named {ref} exists (GET /api/hosts lists them)")
        return spec

    def names(self) -> set[str]:
        return {s.name for s in self.all()}

    def invalidate(self) -> None:
        self._cache = None

    # -- gateways ------------------------------------------------------------------------------
    def gateway(self, ref: str | HostSpec) -> DockerGateway:
        """This process's gateway to the host, made on first use and kept until the host changes."""
        # local needs no database
        spec = ref if isinstance(ref, HostSpec) else self.local() if ref == LOCAL else self.get(ref)
        with self._lock:
            kept = self._gateways.get(spec.id)
            if kept is not None and kept[0] == spec.revision:
                return kept[1]
        made, tunnel = self.make_gateway(spec)
        with self._lock:
            kept = self._gateways.get(spec.id)
            if kept is not None and kept[0] == spec.revision:  # another thread won the race
                stale: tuple[DockerGateway, SshTunnel | None] | None = (made, tunnel)
                made = kept[1]
            else:
                stale = (kept[1], kept[2]) if kept is not None else None
                self._gateways[spec.id] = (spec.revision, made, tunnel)
        if stale is not None:
            _close(*stale)
        return made

    def make_gateway(self, spec: HostSpec, *, name: str | None = None) -> tuple[DockerGateway, SshTunnel | None]:
        """A new gateway (and tunnel) for `spec`; the caller owns it. Also used to test a host before storing it."""
        s = self.settings
        tunnel = None
        if spec.local:
            endpoint = Endpoint(base_url=s.docker_base_url, host=LOCAL)
        elif spec.kind == SSH:
            assert spec.ssh is not None
            tunnel = SshTunnel(spec.ssh, self.runtime_dir, name or f"{spec.id}-{os.getpid()}",
                               connect_timeout=s.ssh_connect_timeout_seconds)
            endpoint = Endpoint(base_url=tunnel.url, host=spec.name, prepare=tunnel.ensure)
        else:
            endpoint = Endpoint(base_url=spec.url, tls=spec.tls, host=spec.name)
        gateway = DockerGateway(endpoint, timeout=s.docker_timeout_seconds, pull_timeout=s.pull_timeout_seconds,
                                compose_timeout=s.compose_timeout_seconds)
        return gateway, tunnel

    def read_remote_file(self, spec: HostSpec, path: str) -> str:
        """`cat` a file on an SSH host, over its persistent connection (adopting a project started there)."""
        self.gateway(spec)
        with self._lock:
            tunnel = self._gateways[spec.id][2]
        assert tunnel is not None and spec.ssh is not None
        tunnel.ensure()
        return ssh_run(spec.ssh, ["cat", "--", path], timeout=self.settings.ssh_connect_timeout_seconds,
                       control=tunnel.control)

    def drop(self, host_id: str) -> None:
        with self._lock:
            kept = self._gateways.pop(host_id, None)
        if kept is not None:
            _close(kept[1], kept[2])
        self.invalidate()

    def close(self) -> None:
        with self._lock:
            kept, self._gateways = list(self._gateways.values()), {}
        for _, gateway, tunnel in kept:
            _close(gateway, tunnel)
        if "runtime_dir" in self.__dict__ and self.runtime_dir.name.startswith("sdmd-run-"):
            with contextlib.suppress(OSError):  # the short /tmp fallback: gone once no process uses it
                self.runtime_dir.rmdir()


def _close(gateway: DockerGateway, tunnel: SshTunnel | None) -> None:
    gateway.close()
    if tunnel is not None:
        tunnel.close()


_PID_RE = re.compile(r"-(\d+)\.(sock|ctl|log)$")


def _remove_stale(directory: Path) -> None:
    """Sockets and logs of processes that are gone (named <host id>-<pid>.*)."""
    for path in directory.iterdir():
        match = _PID_RE.search(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            continue
