"""How to reach one Docker daemon: the URL docker-py and the docker CLI use, TLS files, a readiness hook.

An SSH host is reached through a local unix socket that sdmd keeps forwarding over one persistent
ssh connection (sdmd/hosts/ssh.py), so to this package every host is a unix socket or tcp+TLS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class TlsFiles:
    """Mutual TLS: the CA that signed the daemon's certificate, and sdmd's client certificate and key."""

    ca: Path
    cert: Path
    key: Path


@dataclass(frozen=True)
class Endpoint:
    """`base_url` None means the environment's default (DOCKER_HOST, else the local socket)."""

    base_url: str | None = None
    tls: TlsFiles | None = None
    host: str = "local"  # the sdmd host name, for messages
    # Called before each use (e.g. start the SSH tunnel); raises an SdmdError when the host cannot be reached.
    prepare: Callable[[], None] | None = field(default=None, compare=False)

    def ready(self) -> None:
        if self.prepare is not None:
            self.prepare()

    @property
    def address(self) -> str | None:
        """host name or IP of a tcp:// endpoint (for NO_PROXY), else None."""
        if self.base_url and self.base_url.startswith("tcp://"):
            return urlsplit(self.base_url).hostname
        return None


LOCAL_SOCKET = "unix:///var/run/docker.sock"


def from_environment(endpoint: Endpoint) -> Endpoint:
    """Fill in what `base_url=None` means, as the docker CLI reads it: DOCKER_HOST (with DOCKER_TLS_VERIFY
    and DOCKER_CERT_PATH), else the local socket."""
    if endpoint.base_url:
        return endpoint
    url = os.environ.get("DOCKER_HOST") or LOCAL_SOCKET
    tls = endpoint.tls
    if tls is None and url.startswith("tcp://") and os.environ.get("DOCKER_TLS_VERIFY"):
        certs = Path(os.environ.get("DOCKER_CERT_PATH") or Path.home() / ".docker")
        tls = TlsFiles(ca=certs / "ca.pem", cert=certs / "cert.pem", key=certs / "key.pem")
    return replace(endpoint, base_url=url, tls=tls)
