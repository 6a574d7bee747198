"""One Docker host: docker-py for reads (one client pool, reused), python-on-whales for compose.

A gateway is made once per host and kept (sdmd/hosts/registry.py); every call has a bounded
connect/read timeout, so a host that hangs costs at most that long, never a request held forever.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker
import orjson
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from sdmd.docker.compose import ComposeCommands, ComposeProject
from sdmd.docker.endpoint import Endpoint, from_environment
from sdmd.docker.events import EventStream
from sdmd.docker.registry import RegistryAuth, RegistryCalls, _registry_denied
from sdmd.errors import Conflict, DockerUnavailable, SdmdError, Timeout, UpstreamError
from sdmd.errors import NotFound as SdmdNotFound

log = logging.getLogger("sdmd.docker")

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
WORKDIR_LABEL = "com.docker.compose.project.working_dir"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"
# What the live model subscribes to: container events of compose projects.
COMPOSE_EVENTS = {"type": ["container"], "label": [PROJECT_LABEL]}

__all__ = ["ComposeProject", "DockerGateway", "Endpoint", "PullResult"]


@dataclass
class PullResult:
    image: str
    status: list[str] = field(default_factory=list)
    image_id: str | None = None
    digest: str | None = None


def _daemon_down(exc: BaseException) -> bool:
    text = str(exc).lower()
    if "cannot connect to the docker daemon" in text or "is the docker daemon running" in text:
        return True
    if isinstance(exc, APIError):  # the daemon answered, with an error status (APIError is also an OSError)
        return False
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, OSError | http.client.HTTPException):  # the event stream's own socket (events.py)
        return True
    return isinstance(exc, DockerException)


class DockerGateway(ComposeCommands, RegistryCalls):
    def __init__(self, endpoint: Endpoint | str | None = None, timeout: float = 5.0, pull_timeout: float = 300.0,
                 compose_timeout: float = 300.0) -> None:
        if not isinstance(endpoint, Endpoint):
            endpoint = Endpoint(base_url=endpoint or None)
        self.endpoint = from_environment(endpoint)
        self.timeout = timeout
        self.pull_timeout = pull_timeout
        self.compose_timeout = compose_timeout
        self._clients: dict[float, docker.APIClient] = {}
        self._lock = threading.Lock()
        self._registry_guard = threading.Lock()  # per host: a hung host's `docker info` holds up no other

    @property
    def base_url(self) -> str | None:
        return self.endpoint.base_url

    @property
    def host(self) -> str:
        return self.endpoint.host

    # -- docker-py: reads ------------------------------------------------------------
    def _client(self, timeout: float | None = None) -> docker.APIClient:
        """The pooled client for this timeout (one per distinct timeout, made once)."""
        timeout = self.timeout if timeout is None else timeout
        with self._lock:
            client = self._clients.get(timeout)
        if client is None:
            client = self._new_client(timeout)
            with self._lock:
                client = self._clients.setdefault(timeout, client)
        return client

    def _new_client(self, timeout: float) -> docker.APIClient:
        kwargs: dict[str, Any] = {"timeout": timeout, "base_url": self.endpoint.base_url}
        if self.endpoint.tls:
            tls = self.endpoint.tls
            kwargs["tls"] = docker.tls.TLSConfig(client_cert=(str(tls.cert), str(tls.key)), ca_cert=str(tls.ca),
                                                 verify=True)
        # A placeholder version, negotiated below once the session ignores the environment: requests
        # lets REQUESTS_CA_BUNDLE override the CA of a TLS host, and HTTP(S)_PROXY would route to it.
        client = docker.APIClient(version="1.24", **kwargs)
        client.trust_env = False
        try:
            client._version = client.version(api_version=False)["ApiVersion"]
        except Exception:
            client.close()
            raise
        return client

    def _drop_clients(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            with contextlib.suppress(Exception):  # closing a broken pool must not hide what broke it
                client.close()

    def close(self) -> None:
        self._drop_clients()

    def _call(self, what: str, fn: Callable[[docker.APIClient], Any], timeout: float | None = None) -> Any:
        try:
            self.endpoint.ready()
            return fn(self._client(timeout))
        except (NotFound, ImageNotFound, SdmdError):
            raise
        except Exception as exc:
            if _daemon_down(exc):
                self._drop_clients()  # renegotiate once the daemon is back
                raise DockerUnavailable(details=f"host {self.host}: {what}: {exc}") from exc
            raise UpstreamError("docker error", f"host {self.host}: {what}: {exc}") from exc

    def ping(self, timeout: float | None = None) -> bool:
        return bool(self._call("ping", lambda c: c.ping(), timeout=timeout))

    def version(self, timeout: float | None = None) -> dict[str, Any]:
        """Engine version, API version, OS and architecture (GET /version)."""
        return self._call("version", lambda c: c.version(), timeout=timeout)

    def api_version(self, timeout: float | None = None) -> str:
        return self._client(timeout)._version

    def compose_containers(self, project: str | None = None, timeout: float | None = None) -> list[dict]:
        """Every container that belongs to a compose project (or to `project`), in ONE /containers/json call."""
        if project:
            label = f"{PROJECT_LABEL}={project}"
            return self._call("list containers", lambda c: c.containers(all=True, filters={"label": label}),
                              timeout=timeout)
        # The hot path of every direct list: the daemon answers an unfiltered listing faster than a
        # label-filtered one, and orjson parses it several times faster than requests' json.
        return [c for c in self._call("list containers", _all_containers, timeout=timeout)
                if PROJECT_LABEL in (c.get("Labels") or {})]

    def containers_by_id(self, ids: list[str], timeout: float | None = None) -> list[dict]:
        """The /containers/json entries of these containers (those that still exist), in one call."""
        if not ids:
            return []
        return self._call("list containers",
                          lambda c: _listing(c, {"all": 1, "filters": orjson.dumps({"id": ids}).decode()}),
                          timeout=timeout)

    def open_events(self, timeout: float | None = None) -> EventStream:
        """Subscribe to compose container events; returns once Docker confirmed the subscription."""
        timeout = self.timeout if timeout is None else timeout

        def subscribe(client: docker.APIClient) -> EventStream:
            return EventStream(self.endpoint, client._version, COMPOSE_EVENTS, timeout).open()

        return self._call("subscribe to events", subscribe, timeout=timeout)

    def inspect_container(self, container_id: str) -> dict:
        try:
            return self._call("inspect container", lambda c: c.inspect_container(container_id))
        except NotFound as exc:
            raise SdmdNotFound("container not found", container_id) from exc

    def inspect_image(self, ref: str) -> dict | None:
        try:
            return self._call("inspect image", lambda c: c.inspect_image(ref))
        except (NotFound, ImageNotFound):
            return None

    def remove_image(self, ref: str) -> bool:
        try:
            self._call("remove image", lambda c: c.remove_image(ref))
            return True
        except (NotFound, ImageNotFound, UpstreamError):
            return False

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        self._call("tag image", lambda c: c.tag(image_id, repository, tag, force=True))

    def container_logs(self, container_id: str, tail: int) -> bytes:
        return self._call(
            "read logs",
            lambda c: c.logs(container_id, stdout=True, stderr=True, timestamps=True, tail=tail),
        )

    def pull(self, repository: str, tag: str, auth: RegistryAuth | None = None) -> PullResult:
        """Pull with a deadline; Docker reports many pull errors inside a 200 progress stream.

        `auth` is sent as X-Registry-Auth, so no `docker login` is needed on the host."""
        ref = f"{repository}:{tag}"
        result = PullResult(image=ref)
        client = self._call("connect", lambda c: self._new_client(self.pull_timeout))

        def run() -> None:
            for event in client.pull(repository, tag=tag, stream=True, decode=True,
                                     auth_config=auth.docker_config() if auth else None):
                if "error" in event:
                    detail = event.get("errorDetail", {}).get("message") or event["error"]
                    raise _pull_error(ref, detail, auth)
                status = event.get("status")
                if status and "id" not in event:  # per-layer progress is noise for a status log
                    result.status.append(status)
                elif status and event.get("id") and status in ("Pull complete", "Already exists"):
                    result.status.append(f"{event['id']}: {status}")

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        future = pool.submit(run)
        try:
            future.result(timeout=self.pull_timeout)
        except concurrent.futures.TimeoutError as exc:
            raise Timeout("image pull timed out", f"host {self.host}: {ref} after {self.pull_timeout:.0f}s") from exc
        except (Timeout, SdmdNotFound, UpstreamError):
            raise
        except NotFound as exc:
            raise _pull_error(ref, str(exc.explanation or exc), auth) from exc
        except Exception as exc:
            if _daemon_down(exc):
                raise DockerUnavailable(details=f"host {self.host}: pull {ref}: {exc}") from exc
            if isinstance(exc, APIError):
                raise _pull_error(ref, str(exc.explanation or exc), auth) from exc
            raise UpstreamError("image pull failed", f"{ref}: {exc}") from exc
        finally:
            client.close()  # its own pool: closing it also ends a pull that ran past the deadline
            pool.shutdown(wait=False)
        info = self.inspect_image(ref)
        if info:
            result.image_id = info["Id"]
            digests = info.get("RepoDigests") or []
            result.digest = digests[0].split("@", 1)[1] if digests else None
        return result

    # -- issue 18 (web pages): local images, removal --------------------------------------------------
    def images(self) -> list[dict]:
        """Top-level images (what `docker images` lists), one /images/json call."""
        return self._call("list images", lambda c: c.images())

    def all_containers(self) -> list[dict]:
        """Every container, compose or not: what decides whether an image is in use."""
        return self._call("list containers", _all_containers)

    def delete_image(self, ref: str) -> list[dict]:
        """`docker rmi ref` without force: Docker itself refuses an image a container uses (409)."""
        try:
            return self._call("remove image", lambda c: c.remove_image(ref)) or []
        except (NotFound, ImageNotFound) as exc:
            raise SdmdNotFound("image not found", ref) from exc
        except UpstreamError as exc:
            text = (exc.details or "").lower()
            if "conflict" in text:  # Docker's 409: a container uses it, or child images depend on it
                in_use = "being used" in text or "is using" in text
                raise Conflict("image in use" if in_use else "image cannot be removed", exc.details) from exc
            raise

    def engine_version(self) -> dict:
        return self._call("version", lambda c: c.version())


def _listing(client: docker.APIClient, params: dict[str, Any]) -> list[dict]:
    response = client._get(client._url("/containers/json"), params=params)
    client._raise_for_status(response)
    return orjson.loads(response.content)


def _all_containers(client: docker.APIClient) -> list[dict]:
    return _listing(client, {"all": 1})


def _pull_error(ref: str, detail: str, auth: RegistryAuth | None = None) -> Exception:
    text = detail.lower()
    if denied := _registry_denied(ref, text, auth):
        return denied
    if "not found" in text or "manifest unknown" in text or "does not exist" in text:
        return SdmdNotFound("image not found", f"{ref}: {detail}")
    if "connection refused" in text or "no such host" in text or "dial tcp" in text or "timeout" in text:
        return UpstreamError("registry unreachable", f"{ref}: {detail}")
    return UpstreamError("image pull failed", f"{ref}: {detail}")
