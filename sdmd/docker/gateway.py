from __future__ import annotations

import concurrent.futures
import json
import logging
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import orjson
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from python_on_whales import DockerClient
from python_on_whales.exceptions import DockerException as WhalesError
from python_on_whales.utils import run as whales_run

from sdmd.docker import compose_errors
from sdmd.docker.registry import RegistryAuth, RegistryCalls, _registry_denied
from sdmd.errors import ApplyFailed, Conflict, DockerUnavailable, InvalidInput, Timeout, UpstreamError
from sdmd.errors import NotFound as SdmdNotFound

log = logging.getLogger("sdmd.docker")

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
WORKDIR_LABEL = "com.docker.compose.project.working_dir"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"


@dataclass(frozen=True)
class ComposeProject:
    """A compose project on disk: its name and the folder holding compose.yaml."""

    name: str
    directory: Path
    files: tuple[Path, ...] = ()

    @property
    def compose_files(self) -> list[Path]:
        return list(self.files) or [self.directory / "compose.yaml"]


@dataclass
class PullResult:
    image: str
    status: list[str] = field(default_factory=list)
    image_id: str | None = None
    digest: str | None = None


def _stderr(exc: WhalesError) -> str:
    text = (exc.stderr or exc.stdout or str(exc)).strip()
    # compose prefixes its own diagnostics; keep the meaningful tail
    return "\n".join(line for line in text.splitlines() if line.strip())[-4000:]


def _daemon_down(exc: BaseException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, DockerException) and not isinstance(exc, APIError):
        return True
    text = str(exc).lower()
    return "cannot connect to the docker daemon" in text or "is the docker daemon running" in text


class DockerGateway(RegistryCalls):
    def __init__(self, base_url: str | None, timeout: float = 5.0, pull_timeout: float = 300.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.pull_timeout = pull_timeout
        self._api: docker.APIClient | None = None
        self._lock = threading.Lock()

    # -- docker-py: reads ------------------------------------------------------------
    def _client(self, timeout: float | None = None) -> docker.APIClient:
        if timeout is not None:
            return self._new_client(timeout)
        with self._lock:
            if self._api is None:
                self._api = self._new_client(self.timeout)
            return self._api

    def _new_client(self, timeout: float) -> docker.APIClient:
        kwargs: dict[str, Any] = {"version": "auto", "timeout": timeout}
        if self.base_url:
            kwargs["base_url"] = self.base_url
            return docker.APIClient(**kwargs)
        env = docker.utils.kwargs_from_env()
        env.update(kwargs)
        env.setdefault("base_url", "unix:///var/run/docker.sock")
        return docker.APIClient(**env)

    def _call(self, what: str, fn: Callable[[docker.APIClient], Any], timeout: float | None = None) -> Any:
        try:
            return fn(self._client(timeout))
        except (NotFound, ImageNotFound):
            raise
        except Exception as exc:
            if _daemon_down(exc):
                with self._lock:
                    self._api = None  # renegotiate once the daemon is back
                raise DockerUnavailable(details=f"{what}: {exc}") from exc
            raise UpstreamError("docker error", f"{what}: {exc}") from exc

    def ping(self) -> bool:
        return bool(self._call("ping", lambda c: c.ping()))

    def compose_containers(self, project: str | None = None) -> list[dict]:
        """Every container that belongs to a compose project (or to `project`), in ONE /containers/json call."""
        if project:
            label = f"{PROJECT_LABEL}={project}"
            return self._call("list containers", lambda c: c.containers(all=True, filters={"label": label}))
        # The hot path of every list: the daemon answers an unfiltered listing faster than a label-filtered
        # one, and orjson parses it several times faster than requests' json.
        return [c for c in self._call("list containers", _all_containers) if PROJECT_LABEL in (c.get("Labels") or {})]

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
            client.close()
            raise Timeout("image pull timed out", f"{ref} after {self.pull_timeout:.0f}s") from exc
        except (Timeout, SdmdNotFound, UpstreamError):
            raise
        except NotFound as exc:
            raise _pull_error(ref, str(exc.explanation or exc), auth) from exc
        except Exception as exc:
            if _daemon_down(exc):
                raise DockerUnavailable(details=f"pull {ref}: {exc}") from exc
            if isinstance(exc, APIError):
                raise _pull_error(ref, str(exc.explanation or exc), auth) from exc
            raise UpstreamError("image pull failed", f"{ref}: {exc}") from exc
        finally:
            pool.shutdown(wait=False)
        info = self.inspect_image(ref)
        if info:
            result.image_id = info["Id"]
            digests = info.get("RepoDigests") or []
            result.digest = digests[0].split("@", 1)[1] if digests else None
        return result

    # -- python-on-whales: compose ------------------------------------------------------
    def _compose(self, project: ComposeProject) -> DockerClient:
        return DockerClient(
            host=self.base_url or None,
            compose_files=project.compose_files,
            compose_project_name=project.name,
            compose_project_directory=project.directory,
        )

    def _run_compose(self, what: str, project: ComposeProject, fn: Callable[[DockerClient], Any],
                     error: type = ApplyFailed) -> Any:
        try:
            return fn(self._compose(project))
        except WhalesError as exc:
            detail = _stderr(exc)
            if _daemon_down(Exception(detail)):
                raise DockerUnavailable(details=detail) from exc
            if error is InvalidInput:
                raise error("invalid compose file", detail) from exc
            raise compose_errors.failure(error, what, detail, project) from exc  # the cause, in words

    def compose_config(self, project: ComposeProject) -> dict:
        """Validate with compose's own parser; returns the normalised model."""
        return self._run_compose("config", project, lambda c: c.compose.config(return_json=True),
                                 error=InvalidInput)

    def compose_up(self, project: ComposeProject) -> None:
        self._run_compose("up", project, lambda c: c.compose.up(detach=True, remove_orphans=True,
                                                                 quiet=True, color=False))

    def compose_down(self, project: ComposeProject, volumes: bool = False) -> None:
        self._run_compose("down", project, lambda c: c.compose.down(volumes=volumes, remove_orphans=True,
                                                                     quiet=True))

    def compose_restart(self, project: ComposeProject) -> None:
        self._run_compose("restart", project, lambda c: c.compose.restart())

    # -- gitops: what compose would label each service's containers with, and merged files --
    def compose_config_hashes(self, project: ComposeProject) -> dict[str, dict[str, Any]]:
        """{service: {"hash", "image"}}: the com.docker.compose.config-hash label `compose up` would give.

        `config --hash` alone differs from what `up` labels when a service has env_file (up folds the
        file into environment first); hashing compose's own normalised model, which has folded it,
        gives exactly the label. That model may hold environment values, so it only ever lives in a
        private temporary file outside the stacks folder.
        """
        model = self.compose_config(project)
        with tempfile.TemporaryDirectory(prefix="sdmd-model-") as tmp:
            normalised = Path(tmp) / "compose.json"
            normalised.write_text(json.dumps(model))
            flat = ComposeProject(name=project.name, directory=project.directory, files=(normalised,))

            def run(c: DockerClient) -> str:
                return whales_run([*c.compose.docker_compose_cmd, "config", "--hash", "*"], capture_stdout=True)

            out = self._run_compose("config --hash", flat, run, error=InvalidInput)
        hashes: dict[str, dict[str, Any]] = {}
        for line in out.splitlines():
            service, _, digest = line.strip().partition(" ")
            if service and digest:
                image = ((model.get("services") or {}).get(service) or {}).get("image")
                hashes[service] = {"hash": digest, "image": image}
        return hashes

    def compose_config_text(self, project: ComposeProject) -> str:
        """The project's files merged into one, paths made absolute, ${VARIABLES} left as written."""
        def run(c: DockerClient) -> str:
            return whales_run([*c.compose.docker_compose_cmd, "config", "--no-interpolate"], capture_stdout=True)

        return self._run_compose("config", project, run, error=InvalidInput)

    # -- issue 18 (web pages): local images, removal, and validating a stack with a draft .env --------
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

    def compose_config_with_env(self, project: ComposeProject, env_file: Path) -> tuple[dict, list[str]]:
        """`compose config` reading `env_file` instead of the folder's .env; the model and compose's warnings."""
        def run(c: DockerClient) -> tuple[str, str]:
            return whales_run([*c.compose.docker_compose_cmd, "--env-file", str(env_file), "config", "--format",
                               "json"], capture_stdout=True, capture_stderr=True, return_stderr=True)

        out, err = self._run_compose("config", project, run, error=InvalidInput)
        warnings = [line.split('msg="', 1)[-1].rstrip('"').replace('\\"', '"')
                    for line in (err or "").splitlines() if "level=warning" in line]
        return json.loads(out or "{}"), warnings


def _all_containers(client: docker.APIClient) -> list[dict]:
    response = client._get(client._url("/containers/json"), params={"all": 1})
    client._raise_for_status(response)
    return orjson.loads(response.content)


def _pull_error(ref: str, detail: str, auth: RegistryAuth | None = None) -> Exception:
    text = detail.lower()
    if denied := _registry_denied(ref, text, auth):
        return denied
    if "not found" in text or "manifest unknown" in text or "does not exist" in text:
        return SdmdNotFound("image not found", f"{ref}: {detail}")
    if "connection refused" in text or "no such host" in text or "dial tcp" in text or "timeout" in text:
        return UpstreamError("registry unreachable", f"{ref}: {detail}")
    return UpstreamError("image pull failed", f"{ref}: {detail}")
