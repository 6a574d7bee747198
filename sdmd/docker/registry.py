"""Registry calls the Docker daemon makes for sdmd: digests without pulling, credentials per call.

The daemon answers `GET /distribution/{name}/json` with the manifest digest the registry currently
serves for a tag, using its own registry configuration (mirrors, certs.d, insecure registries,
proxies): a HEAD of the manifest, no layer download. Credentials travel per call as X-Registry-Auth,
so any host can use them without `docker login`. These methods are mixed into DockerGateway, so
each host's gateway asks its own daemon.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docker.errors import APIError, NotFound

from sdmd.errors import NotFound as SdmdNotFound
from sdmd.errors import RegistryAuthFailed, RegistryRateLimited, UpstreamError

if TYPE_CHECKING:
    import docker

DOCKER_HUB = "docker.io"
HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}


@dataclass(frozen=True)
class RegistryAuth:
    """Credentials for one registry; the secret never appears in a repr, a log line or an error."""

    server: str
    username: str
    secret: str = field(repr=False)

    def docker_config(self) -> dict[str, str]:
        """What docker-py base64-encodes into X-Registry-Auth."""
        address = "https://index.docker.io/v1/" if self.server == DOCKER_HUB else self.server
        return {"username": self.username, "password": self.secret, "serveraddress": address}


def registry_of(repository: str) -> str:
    """The registry host of an image repository, as Docker decides it (no dot, colon or localhost: Hub)."""
    first, sep, _ = repository.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return DOCKER_HUB if first in HUB_ALIASES else first
    return DOCKER_HUB


def familiar(repository: str) -> str:
    """The name Docker shows in RepoTags/RepoDigests: Hub's docker.io/ and library/ prefixes dropped."""
    name = repository
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    else:
        if registry_of(name) != DOCKER_HUB:
            return name
    return name.removeprefix("library/")


# Digits only as whole words: a digest's hex may contain "401" or "429".
_DENIED = re.compile(r"unauthorized|authentication required|denied|no basic auth credentials|\b401\b")
_RATE = re.compile(r"toomanyrequests|too many requests|rate limit|\b429\b")


def _registry_denied(ref: str, text: str, auth: RegistryAuth | None) -> Exception | None:
    """The daemon's wording for a refused login or a rate limit, turned into an error naming the registry."""
    registry = registry_of(ref.rsplit("@", 1)[0])
    if _RATE.search(text):
        return RegistryRateLimited("registry rate limit", f"{registry} answered 429 Too Many Requests for {ref}")
    if _DENIED.search(text):
        if auth is not None:
            return RegistryAuthFailed("registry refused the credentials",
                                      f"{registry} refused user {auth.username} for {ref}: check the password "
                                      f"or token under /api/registries")
        return RegistryAuthFailed("registry requires authentication",
                                  f"{registry} refused anonymous access to {ref}: add it under /api/registries")
    return None


@dataclass(frozen=True)
class Distribution:
    digest: str
    media_type: str | None
    platforms: list[dict[str, Any]]


class RegistryCalls:
    """The gateway's registry section (mixed into DockerGateway; uses its `_call`)."""

    _registry_info: dict[str, Any] | None = None
    _registry_guard = threading.Lock()

    def _call(self, what: str, fn: Any, timeout: float | None = None) -> Any:  # provided by DockerGateway
        raise NotImplementedError

    def inspect_distribution(self, ref: str, auth: RegistryAuth | None = None) -> Distribution:
        """The digest the registry serves for `ref` now, asked through the daemon: nothing is pulled."""
        def call(client: docker.APIClient) -> dict[str, Any]:
            return client.inspect_distribution(ref, auth_config=auth.docker_config() if auth else None)

        try:
            info = self._call(f"inspect {ref} in its registry", call)
        except NotFound as exc:
            raise _distribution_error(ref, str(exc.explanation or exc), auth) from exc
        except UpstreamError as exc:
            cause = exc.__cause__
            detail = str(cause.explanation if isinstance(cause, APIError) and cause.explanation else exc.details)
            raise _distribution_error(ref, detail, auth) from exc
        descriptor = info.get("Descriptor") or {}
        return Distribution(digest=descriptor.get("digest", ""), media_type=descriptor.get("mediaType"),
                            platforms=info.get("Platforms") or [])

    def platform(self) -> dict[str, str]:
        """The daemon's os/architecture, to pick the right manifest out of a multi-platform index."""
        info = self._daemon_registry_info()
        return {"os": info.get("OSType") or "linux", "architecture": _GOARCH.get(info.get("Architecture") or "",
                                                                               info.get("Architecture") or "amd64")}

    def insecure_registry(self, host: str) -> bool:
        """Whether the daemon talks plain HTTP to `host` (--insecure-registry, or 127.0.0.0/8 by default)."""
        config = self._daemon_registry_info().get("RegistryConfig") or {}
        index = (config.get("IndexConfigs") or {}).get(host)
        if index is not None:
            return not index.get("Secure", True)
        name = host.rsplit(":", 1)[0].strip("[]") if re.search(r":\d+$", host) else host.strip("[]")
        if name == "localhost":
            return True
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(cidr, strict=False)
                   for cidr in config.get("InsecureRegistryCIDRs") or [])

    def _daemon_registry_info(self) -> dict[str, Any]:
        with self._registry_guard:
            if self._registry_info is None:
                self._registry_info = self._call("docker info", lambda c: c.info())
            return self._registry_info


_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386", "ppc64le": "ppc64le",
           "s390x": "s390x"}


def _distribution_error(ref: str, detail: str, auth: RegistryAuth | None) -> Exception:
    text = detail.lower()
    if denied := _registry_denied(ref, text, auth):
        return denied
    if "not found" in text or "manifest unknown" in text or "does not exist" in text:
        return SdmdNotFound("image not found in its registry", f"{ref}: {detail}")
    if "connection refused" in text or "no such host" in text or "dial tcp" in text or "timeout" in text:
        return UpstreamError("registry unreachable", f"{ref}: {detail}")
    return UpstreamError("registry lookup failed", f"{ref}: {detail}")
