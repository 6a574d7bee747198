"""The registry HTTP API (distribution spec v2) for what the Docker daemon cannot tell: the list of
tags, and a manifest's image config (created date, OCI labels) without pulling any layer.

Why a small module of our own: the maintained Python clients (oras-py, python-dxf) keep one token per
client whatever the scope, report failures as bare ValueErrors without the status code, and ignore
429/Retry-After; what sdmd needs is four GETs. This module does:
- the Docker auth flow: a 401 with `WWW-Authenticate: Basic` is answered with the credentials, one
  with `Bearer realm=...,service=...,scope=...` by fetching a token from the realm (with the
  credentials, else anonymously), cached per registry, scope and user until it expires;
- `Link: <...>; rel="next"` pagination of /v2/<name>/tags/list;
- 429 with Retry-After (seconds or an HTTP date): waits and retries when the wait is at most
  SDMD_REGISTRY_RETRY_MAX_SECONDS, else fails naming the registry; every later call to that registry
  waits out the same deadline instead of asking again;
- at most SDMD_REGISTRY_CONCURRENCY requests in flight per registry;
- TLS trust as the daemon has it: the system CAs plus /etc/docker/certs.d/<host>/*.crt (and a
  client certificate pair there); plain HTTP only for registries the daemon itself treats as
  insecure (127.0.0.0/8 and --insecure-registry), after HTTPS failed, as the daemon does.
Secrets never reach a log line or an error message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from sdmd.docker.registry import DOCKER_HUB, RegistryAuth
from sdmd.errors import NotFound, RegistryAuthFailed, RegistryRateLimited, UpstreamError

log = logging.getLogger("sdmd.registries")

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
ACCEPT = ", ".join(INDEX_TYPES + MANIFEST_TYPES)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
MAX_PAGES = 100


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    config_digest: str | None  # the image id the daemon gives a pulled image (classic image store)


def api_host(registry: str) -> str:
    return "registry-1.docker.io" if registry == DOCKER_HUB else registry


def api_path(registry: str, repository: str) -> str:
    """The repository's name inside its registry (Hub's official images live under library/)."""
    first, sep, rest = repository.partition("/")
    path = rest if sep and ("." in first or ":" in first or first == "localhost") else repository
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return path


def basic_header(auth: RegistryAuth) -> str:
    return "Basic " + base64.b64encode(f"{auth.username}:{auth.secret}".encode()).decode()


def retry_after(response: httpx.Response, default: float = 1.0) -> float:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


class RegistryClient:
    """One per process; thread-safe. `insecure(host)` says whether plain HTTP is allowed for a host."""

    def __init__(self, *, timeout: float = 10.0, concurrency: int = 4, retry_max_seconds: float = 60.0,
                 certs_dir: Path = Path("/etc/docker/certs.d"),
                 insecure: Callable[[str], bool] | None = None, page_size: int = 1000) -> None:
        self.timeout = timeout
        self.page_size = page_size
        self.concurrency = concurrency
        self.retry_max_seconds = retry_max_seconds
        self.certs_dir = certs_dir
        self.insecure = insecure or (lambda host: host.startswith(("127.", "localhost")))
        self._guard = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._not_before: dict[str, float] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._schemes: dict[str, str] = {}

    # -- public calls ---------------------------------------------------------------------------
    def list_tags(self, registry: str, repository: str, auth: RegistryAuth | None) -> list[str]:
        """Every tag of the repository, following Link pagination."""
        path = api_path(registry, repository)
        scope = f"repository:{path}:pull"
        url: str | None = f"/v2/{path}/tags/list?n={self.page_size}"
        tags: list[str] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._get(registry, url, scope=scope, auth=auth, what=f"tags of {repository}")
            tags.extend((response.json() or {}).get("tags") or [])
            nxt = response.links.get("next", {}).get("url")
            url = urljoin(url, nxt) if nxt else None
        return tags

    def manifest(self, registry: str, repository: str, reference: str, auth: RegistryAuth | None,
                 platform: dict[str, str]) -> Manifest:
        """The manifest of a tag or digest; for a multi-platform index, the entry for `platform`."""
        path = api_path(registry, repository)
        scope = f"repository:{path}:pull"
        response = self._get(registry, f"/v2/{path}/manifests/{reference}", scope=scope, auth=auth,
                             what=f"{repository}:{reference}", accept=ACCEPT)
        body = response.json()
        media_type = body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        digest = (response.headers.get("Docker-Content-Digest")
                  or "sha256:" + hashlib.sha256(response.content).hexdigest())
        if media_type in INDEX_TYPES or "manifests" in body:
            entry = _pick_platform(body.get("manifests") or [], platform)
            if entry is None:
                return Manifest(digest=digest, media_type=media_type, config_digest=None)
            inner = self.manifest(registry, repository, entry["digest"], auth, platform)
            return Manifest(digest=digest, media_type=media_type, config_digest=inner.config_digest)
        return Manifest(digest=digest, media_type=media_type, config_digest=(body.get("config") or {}).get("digest"))

    def image_config(self, registry: str, repository: str, config_digest: str,
                     auth: RegistryAuth | None) -> dict[str, Any]:
        """The image config blob (a few KB of JSON: created, config.Labels, ...): no layer is fetched."""
        path = api_path(registry, repository)
        response = self._get(registry, f"/v2/{path}/blobs/{config_digest}", scope=f"repository:{path}:pull",
                             auth=auth, what=f"config of {repository}@{config_digest[:19]}")
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise UpstreamError("registry answer unreadable", f"{registry}: config blob is not JSON") from exc

    def check_login(self, registry: str, auth: RegistryAuth, repository: str | None = None) -> None:
        """Raises RegistryAuthFailed (naming the registry) when it refuses the credentials."""
        if repository:
            self.list_tags(registry, repository, auth)
            return
        self._get(registry, "/v2/", scope="", auth=auth, what="login")

    # -- plumbing ---------------------------------------------------------------------------------
    def _get(self, registry: str, url: str, *, scope: str, auth: RegistryAuth | None, what: str,
             accept: str | None = None) -> httpx.Response:
        host = api_host(registry)
        headers = {"Accept": accept} if accept else {}
        token = self._cached_token(host, scope, auth)
        if token:
            headers["Authorization"] = token
        answered_challenge = False
        for _attempt in range(4):
            response = self._send(registry, host, url, headers)
            if response.status_code == 401 and not answered_challenge:
                headers["Authorization"] = self._answer(registry, host, response, scope, auth)
                answered_challenge = True
                continue
            if response.status_code == 429:
                self._wait_for(registry, host, response)
                continue
            return self._checked(registry, response, what, auth)
        raise RegistryRateLimited("registry rate limit", f"{registry} kept answering 429 for {what}")

    def _checked(self, registry: str, response: httpx.Response, what: str,
                 auth: RegistryAuth | None) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        if status in (401, 403):
            raise _refused(registry, what, auth)
        if status == 404:
            raise NotFound("not found in its registry", f"{registry}: {what}: {_error_text(response)}")
        raise UpstreamError("registry error", f"{registry} answered {status} for {what}: {_error_text(response)}")

    def _send(self, registry: str, host: str, url: str, headers: dict[str, str]) -> httpx.Response:
        self._respect_cooldown(registry, host)
        with self._slot(host):
            scheme = self._schemes.get(host)
            try:
                response = self._client(host).get(f"{scheme or 'https'}://{host}{url}", headers=headers)
                self._schemes[host] = scheme or "https"
                return response
            except httpx.TransportError as exc:
                if scheme is None and self.insecure(host):
                    # As the daemon does for an insecure registry: HTTPS first, then plain HTTP.
                    try:
                        response = self._client(host).get(f"http://{host}{url}", headers=headers)
                    except httpx.TransportError as again:
                        raise UpstreamError("registry unreachable",
                                            f"{registry}: {type(again).__name__}: {again}") from again
                    self._schemes[host] = "http"
                    return response
                raise UpstreamError("registry unreachable", f"{registry}: {type(exc).__name__}: {exc}") from exc

    def _answer(self, registry: str, host: str, response: httpx.Response, scope: str,
                auth: RegistryAuth | None) -> str:
        """The Authorization header that answers a 401's challenge."""
        challenge = response.headers.get("WWW-Authenticate", "")
        kind, _, rest = challenge.partition(" ")
        if kind.lower() == "basic":
            if auth is None:
                raise _refused(registry, "login", None)
            return basic_header(auth)
        if kind.lower() != "bearer":
            raise UpstreamError("registry authentication unsupported", f"{registry}: {kind or 'no'} challenge")
        params = dict(_CHALLENGE.findall(rest))
        realm = params.get("realm")
        if not realm:
            raise UpstreamError("registry authentication unsupported", f"{registry}: Bearer challenge without realm")
        query = {k: v for k, v in (("service", params.get("service")), ("scope", params.get("scope") or scope)) if v}
        self._respect_cooldown(registry, host)
        try:
            with self._slot(host):
                answer = self._client(host).get(
                    realm, params=query, auth=httpx.BasicAuth(auth.username, auth.secret) if auth else None)
        except httpx.TransportError as exc:
            raise UpstreamError("registry token service unreachable", f"{registry}: {type(exc).__name__}") from exc
        if answer.status_code in (401, 403):
            raise _refused(registry, "token", auth)
        if answer.status_code == 429:
            self._wait_for(registry, host, answer)
            return self._answer(registry, host, response, scope, auth)
        if answer.status_code >= 300:
            raise UpstreamError("registry token service error", f"{registry}: token answered {answer.status_code}")
        body = answer.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise UpstreamError("registry token service error", f"{registry}: no token in the answer")
        header = f"Bearer {token}"
        lifetime = float(body.get("expires_in") or 60)
        with self._guard:
            self._tokens[(host, query.get("scope", ""), auth.username if auth else "")] = (
                header, time.monotonic() + max(lifetime - 10, 5))
        return header

    def _cached_token(self, host: str, scope: str, auth: RegistryAuth | None) -> str | None:
        with self._guard:
            found = self._tokens.get((host, scope, auth.username if auth else ""))
        if found and found[1] > time.monotonic():
            return found[0]
        return None

    def _wait_for(self, registry: str, host: str, response: httpx.Response) -> None:
        delay = retry_after(response)
        with self._guard:
            self._not_before[host] = max(self._not_before.get(host, 0.0), time.monotonic() + delay)
        if delay > self.retry_max_seconds:
            raise RegistryRateLimited("registry rate limit",
                                      f"{registry} answered 429; it asks to wait {delay:.0f}s",
                                      headers={"Retry-After": str(int(delay + 0.999))})
        log.info("registry %s answered 429: waiting %.1fs", registry, delay)

    def _respect_cooldown(self, registry: str, host: str) -> None:
        with self._guard:
            wait = self._not_before.get(host, 0.0) - time.monotonic()
        if wait > self.retry_max_seconds:
            raise RegistryRateLimited("registry rate limit", f"{registry} asked to wait {wait:.0f}s more",
                                      headers={"Retry-After": str(int(wait + 0.999))})
        if wait > 0:
            time.sleep(wait)

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        with self._guard:
            slot = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        with slot:
            yield

    _clients: dict[str, httpx.Client]

    def _client(self, host: str) -> httpx.Client:
        with self._guard:
            clients = self.__dict__.setdefault("_clients", {})
            client = clients.get(host)
            if client is None:
                client = clients[host] = httpx.Client(verify=self._tls(host), timeout=self.timeout,
                                                      follow_redirects=True)
            return client

    def _tls(self, host: str) -> ssl.SSLContext:
        """System CAs plus the daemon's per-registry trust: certs.d/<host>/*.crt and a *.cert/*.key pair."""
        context = ssl.create_default_context()
        folder = self.certs_dir / host
        if folder.is_dir():
            for ca in sorted(folder.glob("*.crt")):
                context.load_verify_locations(cafile=str(ca))
            for cert in sorted(folder.glob("*.cert")):
                key = cert.with_suffix(".key")
                if key.exists():
                    context.load_cert_chain(str(cert), str(key))
        return context

    def close(self) -> None:
        for client in self.__dict__.get("_clients", {}).values():
            client.close()


def _pick_platform(entries: list[dict[str, Any]], platform: dict[str, str]) -> dict[str, Any] | None:
    for entry in entries:
        p = entry.get("platform") or {}
        if p.get("os") == platform.get("os") and p.get("architecture") == platform.get("architecture"):
            return entry
    return None


def _refused(registry: str, what: str, auth: RegistryAuth | None) -> RegistryAuthFailed:
    if auth is None:
        return RegistryAuthFailed("registry requires authentication",
                                  f"{registry} refused anonymous access ({what}): add it under /api/registries")
    return RegistryAuthFailed("registry refused the credentials",
                              f"{registry} refused user {auth.username} ({what}): check the password or token")


def _error_text(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)[:500] or response.reason_phrase
    except ValueError:
        return response.reason_phrase
