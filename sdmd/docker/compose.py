"""`docker compose` through python-on-whales, against one host, with a hard deadline.

The CLI gets the host's address and TLS files as global flags (`--host`, `--tlsverify`, ...), so a
compose project on a remote host is driven from the stacks folder on this machine (bind mount
paths in it are paths on that host). Every call runs under coreutils `timeout`: compose itself has
no deadline, and a daemon that hangs (SIGSTOP) would otherwise hold a request forever.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdmd.docker import compose_errors
from sdmd.docker.endpoint import Endpoint
from sdmd.errors import ApplyFailed, DockerUnavailable, InvalidInput, Timeout
from sdmd.live import progress

if TYPE_CHECKING:
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import DockerException as WhalesError

TIMED_OUT = (124, 137)
# Compose must finish an `up` it has begun even when the process reading its output dies (a worker
# killed mid-update): a Go program that writes to a broken stdout or stderr pipe exits on SIGPIPE, and
# would leave containers created but never started. So its output goes through relays (`tee -p` keeps
# draining into /dev/null once its reader is gone); the exit status stays compose's.
OUTLIVE_THE_READER = 'exec 3>&1 4>&2; "$@" > >(tee -p /dev/null >&3) 2> >(tee -p /dev/null >&4)'
# Where the docker CLI looks for its plugins after the config folder's cli-plugins (docker/cli
# cli-plugins/manager: defaultSystemPluginDirs on Linux), in its order.
SYSTEM_PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                      "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")
PLUGIN_ENV = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"  # what the CLI sets when it runs a plugin


def compose_plugin() -> str | None:
    """The docker-compose plugin binary `docker compose` would run, found as the docker CLI finds it.

    `docker compose X` starts three processes: the CLI, the plugin once for its metadata, then the
    plugin with the CLI's own arguments (`<global flags> compose X`) and PLUGIN_ENV set. Running that
    last one directly is the same command without the other two (about 80 ms of each compose call on
    a 2-core machine). None (use `docker`) when the CLI's plugin search cannot be followed exactly.
    """
    env = os.environ
    return _find_plugin(env.get("DOCKER_CONFIG"), env.get("DOCKER_CLI_PLUGIN_EXTRA_DIRS"), str(Path.home()))


@functools.lru_cache(maxsize=8)
def _find_plugin(docker_config: str | None, extra_dirs: str | None, home: str) -> str | None:
    """Once per environment: the docker CLI's plugin search, for the one plugin compose calls need."""
    if extra_dirs:
        return None
    config_dir = Path(docker_config or Path(home) / ".docker")
    try:
        config = json.loads((config_dir / "config.json").read_text())
    except FileNotFoundError:
        config = {}
    except (OSError, ValueError):
        return None  # the CLI would refuse or warn: let it say so
    if not isinstance(config, dict) or config.get("cliPluginsExtraDirs"):
        return None
    for folder in (str(config_dir / "cli-plugins"), *SYSTEM_PLUGIN_DIRS):
        candidate = os.path.join(folder, "docker-compose")
        if os.path.isfile(candidate):
            return candidate if os.access(candidate, os.X_OK) else None
    return None


def whales_run(*args: Any, **kwargs: Any) -> Any:
    from python_on_whales.utils import run

    return run(*args, **kwargs)  # coreutils timeout: the deadline passed (137: it had to SIGKILL)


@dataclass(frozen=True)
class ComposeProject:
    """A compose project on disk: its name and the folder holding compose.yaml."""

    name: str
    directory: Path
    files: tuple[Path, ...] = ()

    @property
    def compose_files(self) -> list[Path]:
        return list(self.files) or [self.directory / "compose.yaml"]


def _stderr(exc: WhalesError) -> str:
    text = (exc.stderr or exc.stdout or str(exc)).strip()
    # compose prefixes its own diagnostics; keep the meaningful tail
    return "\n".join(line for line in text.splitlines() if line.strip())[-4000:]


def daemon_down_text(text: str) -> bool:
    text = text.lower()
    # "error during connect" is the CLI's own phrase for failing to reach the daemon (tcp, ssh, unix)
    return ("cannot connect to the docker daemon" in text or "is the docker daemon running" in text
            or "error during connect" in text)


class ComposeCommands:
    """Mixed into DockerGateway: the compose side of one host."""

    endpoint: Endpoint
    compose_timeout: float

    def _client_call(self) -> list[str]:
        """The command before the global flags: the relays, the deadline, then the compose plugin as the
        docker CLI runs it (see compose_plugin), or `docker` itself."""
        plugin = compose_plugin()
        call = ["env", f"{PLUGIN_ENV}={shutil.which('docker') or 'docker'}", plugin] if plugin else ["docker"]
        if timeout := shutil.which("timeout"):
            call = [timeout, "--kill-after=5", f"{self.compose_timeout:g}", *call]
        if (bash := shutil.which("bash")) and shutil.which("tee"):
            call = [bash, "-c", OUTLIVE_THE_READER, "sdmd-compose", *call]
        return call

    def _compose(self, project: ComposeProject) -> DockerClient:
        # python-on-whales (~25 MB of pydantic models) loads on the first compose call, not at import:
        # an API that only lists, and the worker between jobs, never pay for it.
        from python_on_whales import DockerClient

        tls = self.endpoint.tls
        return DockerClient(
            host=self.endpoint.base_url or None,
            tlsverify=True if tls else None,
            tlscacert=tls.ca if tls else None,
            tlscert=tls.cert if tls else None,
            tlskey=tls.key if tls else None,
            client_call=self._client_call(),
            compose_files=project.compose_files,
            compose_project_name=project.name,
            compose_project_directory=project.directory,
        )

    def _run_compose(self, what: str, project: ComposeProject, fn: Callable[[DockerClient], Any],
                     error: type = ApplyFailed) -> Any:
        from python_on_whales.exceptions import DockerException as WhalesError

        self.endpoint.ready()
        try:
            return fn(self._compose(project))
        except WhalesError as exc:
            detail = _stderr(exc)
            if getattr(exc, "return_code", None) in TIMED_OUT:
                raise Timeout(f"compose {what} timed out",
                              f"host {self.endpoint.host}: no result after {self.compose_timeout:g}s") from exc
            if daemon_down_text(detail):
                raise DockerUnavailable(details=f"host {self.endpoint.host}: {detail}") from exc
            if error is InvalidInput:
                raise error("invalid compose file", detail) from exc
            raise compose_errors.failure(error, what, detail, project) from exc  # the cause, in words

    def compose_config(self, project: ComposeProject) -> dict:
        """Validate with compose's own parser; returns the normalised model."""
        progress.step("Checking the compose file (docker compose config)")
        return self._run_compose("config", project, lambda c: c.compose.config(return_json=True),
                                 error=InvalidInput)

    def compose_up(self, project: ComposeProject) -> None:
        if progress.active():  # live: compose's own progress, line by line (sdmd/docker/live.py)
            return self._compose_streamed("up", project, ["up", "--detach", "--remove-orphans"])
        self._run_compose("up", project, lambda c: c.compose.up(detach=True, remove_orphans=True,
                                                                 quiet=True, color=False))

    def compose_down(self, project: ComposeProject, volumes: bool = False) -> None:
        if progress.active():
            return self._compose_streamed("down", project, ["down", "--remove-orphans", *(["--volumes"] * volumes)])
        self._run_compose("down", project, lambda c: c.compose.down(volumes=volumes, remove_orphans=True,
                                                                     quiet=True))

    def compose_restart(self, project: ComposeProject) -> None:
        if progress.active():
            return self._compose_streamed("restart", project, ["restart"])
        self._run_compose("restart", project, lambda c: c.compose.restart())

    def compose_check(self) -> dict[str, Any]:
        """Does compose work against this host? Its version, and `compose ls` answered by the daemon."""
        scratch = ComposeProject(name="sdmd-check", directory=Path(tempfile.gettempdir()))

        def run(c: DockerClient) -> dict[str, Any]:
            version = whales_run([*c.docker_cmd, "compose", "version", "--short"], capture_stdout=True)
            listed = whales_run([*c.docker_cmd, "compose", "ls", "--all", "--format", "json"], capture_stdout=True)
            return {"version": version.strip(), "projects": len(json.loads(listed or "[]"))}

        return self._run_compose("check", scratch, run, error=ApplyFailed)

    # -- gitops: what compose would label each service's containers with, and merged files --
    def compose_config_hashes(self, project: ComposeProject, model: dict | None = None) -> dict[str, dict[str, Any]]:
        """{service: {"hash", "image"}}: the com.docker.compose.config-hash label `compose up` would give.

        `config --hash` alone differs from what `up` labels when a service has env_file (up folds the
        file into environment first); hashing compose's own normalised model, which has folded it,
        gives exactly the label. That model may hold environment values, so it only ever lives in a
        private temporary file outside the stacks folder. `model`: compose_config(project) already
        run (validation did), so that it is not run twice.
        """
        if model is None:
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

    def compose_config_with_env(self, project: ComposeProject, env_file: Path) -> tuple[dict, list[str]]:
        """`compose config` reading `env_file` instead of the folder's .env; the model and compose's warnings."""
        def run(c: DockerClient) -> tuple[str, str]:
            return whales_run([*c.compose.docker_compose_cmd, "--env-file", str(env_file), "config", "--format",
                               "json"], capture_stdout=True, capture_stderr=True, return_stderr=True)

        out, err = self._run_compose("config", project, run, error=InvalidInput)
        warnings = [line.split('msg="', 1)[-1].rstrip('"').replace('\\"', '"')
                    for line in (err or "").splitlines() if "level=warning" in line]
        return json.loads(out or "{}"), warnings
