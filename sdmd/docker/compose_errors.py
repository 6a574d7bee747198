"""What a failed `docker compose up` (or down, restart) means, in one sentence.

Compose prints progress lines and then one line that matters, usually "Error response from daemon:
...", with the real cause deep inside it ("Bind for 127.0.0.1:8080 failed: port is already
allocated"). `explain` turns that output into a message in plain words for the known causes (the
daemon's own line otherwise), keeps the whole output as details, and, where the cause maps to a part
of the compose file, names it as a path the UI can mark: services.web.ports[0], services.web.image,
services.web.command, services.web.container_name, services.web.volumes[1], networks.backend.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sdmd.errors import SdmdError

MAX_MESSAGE = 300

_DAEMON_PREFIX = re.compile(r"^(?:Error response from daemon|Error|error during connect|error):\s*", re.I)
# Compose's progress lines: " Container x-web-1  Starting", " Network x_default  Created", " web Pulling".
_PROGRESS = re.compile(r"^\s*(?:Container|Network|Volume|Image)\s+\S+\s+\S+\s*$|^\s*\S+\s+(?:Pulling|Pulled|"
                       r"Waiting|Skipped|Interrupted)\b.*$")
_PULL_ERROR = re.compile(r"^\s*(?P<service>[A-Za-z0-9._-]+) Error\b")


@dataclass(frozen=True)
class ComposeFailure:
    message: str
    details: str
    field: str | None = None


@dataclass
class _Context:
    project: str
    services: dict[str, dict[str, Any]]
    networks: dict[str, Any]
    output: str

    def service_of_container(self, container: str) -> str | None:
        """x-web-1 → web (compose names containers <project>-<service>-<n>), or by container_name."""
        for name, spec in self.services.items():
            if spec.get("container_name") == container:
                return name
        prefix = f"{self.project}-"
        if container.startswith(prefix):
            guess = re.sub(r"-\d+$", "", container[len(prefix):])
            if guess in self.services:
                return guess
        return None

    def pulling_service(self) -> str | None:
        """compose prefixes a failed pull with the service's name: " web Error manifest ..."."""
        for line in self.output.splitlines():
            m = _PULL_ERROR.match(line)
            if m and m.group("service") in self.services:
                return m.group("service")
        return None

    def services_with_image(self, image: str) -> list[str]:
        """Services whose image is `image` (a full reference, or a bare repository as in "pull access denied")."""
        wanted = _normal_image(image)
        hits = []
        for name, spec in self.services.items():
            ref = _normal_image(str(spec.get("image") or ""))
            if ref and wanted in (ref, _repository(ref), f"{_repository(ref)}:latest" if ref == _repository(ref)
                                  else ref):
                hits.append(name)
        return hits


def _repository(ref: str) -> str:
    """The reference without its tag or digest: 127.0.0.1:5000/team/app:1 → 127.0.0.1:5000/team/app."""
    ref = ref.split("@", 1)[0]
    head, _, last = ref.rpartition("/")
    if ":" in last:
        last = last.rsplit(":", 1)[0]
    return f"{head}/{last}" if head else last


def _normal_image(ref: str) -> str:
    """nginx, docker.io/library/nginx and library/nginx name the same repository."""
    ref = ref.strip()
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "library/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def _load_model(files: Sequence[Path]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The services and networks of the project's files (later files override earlier ones by name)."""
    services: dict[str, dict[str, Any]] = {}
    networks: dict[str, Any] = {}
    yaml = YAML(typ="safe", pure=True)
    for path in files:
        try:
            doc = yaml.load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError):
            continue
        if not isinstance(doc, dict):
            continue
        for name, spec in (doc.get("services") or {}).items():
            if isinstance(spec, dict):
                services[str(name)] = {**services.get(str(name), {}), **spec}
        if isinstance(doc.get("networks"), dict):
            networks.update(doc["networks"])
    return services, networks


# -- ports --------------------------------------------------------------------------------------
_SHORT_PORT = re.compile(r"^(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+:[0-9a-fA-F:]*?):)??"
                         r"(?:(?P<published>\d+(?:-\d+)?)?:)?(?P<target>\d+(?:-\d+)?)(?:/\w+)?$")


def _in_range(spec: str, port: int) -> bool:
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def _port_entry_matches(entry: Any, ip: str | None, port: int) -> bool:
    if isinstance(entry, dict):
        published, host_ip = entry.get("published"), entry.get("host_ip")
    elif isinstance(entry, str | int):
        m = _SHORT_PORT.match(str(entry).strip())
        if not m:
            return False
        published, host_ip = m.group("published"), (m.group("ip") or "").strip("[]") or None
    else:
        return False
    if published is None or not re.fullmatch(r"\d+(?:-\d+)?", str(published)):
        return False
    if not _in_range(str(published), port):
        return False
    any_address = {None, "", "0.0.0.0", "::"}
    return host_ip in any_address or ip in any_address or host_ip == ip


def _port_field(ctx: _Context, service: str | None, ip: str | None, port: int) -> str | None:
    candidates = [service] if service else list(ctx.services)
    for name in candidates:
        ports = (ctx.services.get(name) or {}).get("ports") or []
        for i, entry in enumerate(ports if isinstance(ports, list) else []):
            if _port_entry_matches(entry, ip, port):
                return f"services.{name}.ports[{i}]"
    return f"services.{service}.ports" if service else None


# -- commands -----------------------------------------------------------------------------------
def _first_word(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    if isinstance(value, str) and value.strip():
        try:
            words = shlex.split(value)
        except ValueError:
            words = value.split()
        return words[0] if words else None
    return None


def _command_field(ctx: _Context, command: str) -> str | None:
    for name, spec in ctx.services.items():
        if _first_word(spec.get("entrypoint")) == command:
            return f"services.{name}.entrypoint"
        if _first_word(spec.get("command")) == command:
            return f"services.{name}.command"
    return None


def _image_field(ctx: _Context, image: str) -> str | None:
    pulling = ctx.pulling_service()
    if pulling:
        return f"services.{pulling}.image"
    hits = ctx.services_with_image(image)
    return f"services.{hits[0]}.image" if hits else None


def _volume_field(ctx: _Context, source: str) -> str | None:
    for name, spec in ctx.services.items():
        for i, entry in enumerate(spec.get("volumes") or []):
            text = entry.get("source") if isinstance(entry, dict) else str(entry).split(":", 1)[0]
            if text and (text == source or source.endswith(str(text).lstrip("."))):
                return f"services.{name}.volumes[{i}]"
    return None


# -- the known causes, most specific first ------------------------------------------------------
Rule = tuple[re.Pattern[str], Callable[[re.Match[str], _Context], tuple[str, str | None]]]


def _port_allocated(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    ip, port = m.group("ip"), int(m.group("port"))
    endpoint = re.search(r"on endpoint (\S+) \(", ctx.output)
    service = ctx.service_of_container(endpoint.group(1)) if endpoint else None
    return (f"Port {port} is already allocated: another container publishes {ip}:{port}",
            _port_field(ctx, service, ip, port))


def _address_in_use(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    ip, port = m.group("ip"), int(m.group("port"))
    endpoint = re.search(r"on endpoint (\S+) \(", ctx.output)
    service = ctx.service_of_container(endpoint.group(1)) if endpoint else None
    return (f"Port {port} is already in use on {ip} by another program",
            _port_field(ctx, service, ip, port))


def _manifest_unknown(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    image = m.group("image")
    return f"The image {image} was not found in its registry", _image_field(ctx, image)


def _pull_denied(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    repository = m.group("repo")
    hits = ctx.services_with_image(repository)
    image = str(ctx.services[hits[0]].get("image")) if hits else repository
    return (f"Pull access denied for {image}: the registry says it does not exist or needs a login",
            _image_field(ctx, repository))


def _needs_login(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    service = ctx.pulling_service()
    image = str(ctx.services[service].get("image")) if service else None
    return (f"The registry needs a login to pull {image}" if image else "The registry needs a login",
            f"services.{service}.image" if service else None)


def _registry_unreachable(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    service = ctx.pulling_service()
    return (f"The registry {m.group('host')} cannot be reached",
            f"services.{service}.image" if service else None)


def _no_such_image(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    image = m.group("image")
    return (f"The image {image} is not on this Docker host, and compose did not pull it",
            _image_field(ctx, image))


def _executable_missing(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    command = m.group("cmd")
    return (f"The command {command} does not exist in the image: executable file not found",
            _command_field(ctx, command))


def _not_executable(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    command = m.group("cmd")
    return f"The command {command} cannot be run: permission denied", _command_field(ctx, command)


def _name_in_use(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    name = m.group("name")
    service = next((s for s, spec in ctx.services.items() if spec.get("container_name") == name), None)
    return (f"The container name {name} is already used by another container",
            f"services.{service}.container_name" if service else None)


def _network_missing(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    network = m.group("net")
    return (f"The external network {network} does not exist",
            f"networks.{network}" if network in ctx.networks else None)


def _mount_missing(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    path = m.group("path")
    return f"The path {path} to mount does not exist on the Docker host", _volume_field(ctx, path)


def _disk_full(m: re.Match[str], ctx: _Context) -> tuple[str, str | None]:
    return "The Docker host is out of disk space (no space left on device)", None


RULES: list[Rule] = [
    (re.compile(r"Bind for (?P<ip>\S+?):(?P<port>\d+) failed: port is already allocated"), _port_allocated),
    (re.compile(r"listen (?:tcp|udp|sctp)[46]? (?P<ip>\S+?):(?P<port>\d+): bind: address already in use"),
     _address_in_use),
    (re.compile(r"manifest for (?P<image>\S+) not found"), _manifest_unknown),
    (re.compile(r"(?P<image>[^\s\"]+): (?:manifest unknown|not found: manifest unknown)"), _manifest_unknown),
    (re.compile(r"pull access denied for (?P<repo>[^,\s]+)"), _pull_denied),
    (re.compile(r"unauthorized: authentication required|no basic auth credentials"), _needs_login),
    (re.compile(r"Get \"https?://(?P<host>[^/\"]+)/v2/[^\"]*\": (?:dial tcp|net/http|context deadline)"),
     _registry_unreachable),
    (re.compile(r"[Nn]o such image: (?P<image>\S+?)(?::\s|$)", re.M), _no_such_image),
    (re.compile(r"exec: \"(?P<cmd>[^\"]+)\": (?:executable file not found|stat \S+: no such file or directory)"),
     _executable_missing),
    (re.compile(r"exec: \"(?P<cmd>[^\"]+)\": permission denied"), _not_executable),
    (re.compile(r"container name \"/(?P<name>[^\"]+)\" is already in use"), _name_in_use),
    (re.compile(r"network (?P<net>\S+) declared as external, but could not be found"), _network_missing),
    (re.compile(r"bind source path does not exist: (?P<path>\S+)"), _mount_missing),
    (re.compile(r"no space left on device"), _disk_full),
]


def meaningful_line(output: str) -> str:
    """The line that says what went wrong: the daemon's answer, else the last error line, else the last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.lower().startswith("error response from daemon:"):
            return _DAEMON_PREFIX.sub("", line)
    for line in reversed(lines):
        if "error" in line.lower() and not _PROGRESS.match(line):
            return _DAEMON_PREFIX.sub("", line)
    useful = [line for line in lines if not _PROGRESS.match(line)]
    return _DAEMON_PREFIX.sub("", (useful or lines or [""])[-1])


def _shorten(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1].rstrip() + "…"


def explain(what: str, output: str, *, project: str = "", files: Sequence[Path] = ()) -> ComposeFailure:
    """`what` is the compose command (up, down, restart); `output` its stderr; `files` the project's files."""
    services, networks = _load_model(files)
    ctx = _Context(project=project, services=services, networks=networks, output=output)
    for pattern, describe in RULES:
        m = pattern.search(output)
        if m:
            message, field = describe(m, ctx)
            return ComposeFailure(_shorten(message), output, field)
    line = meaningful_line(output)
    if not line:
        return ComposeFailure(f"compose {what} failed", output)
    return ComposeFailure(_shorten(line[0].upper() + line[1:]), output)


def failure(error: type[SdmdError], what: str, output: str, project: Any) -> SdmdError:
    """The gateway's exception for a failed compose command, worded by `explain`."""
    found = explain(what, output, project=getattr(project, "name", ""),
                    files=getattr(project, "compose_files", ()))
    return error(found.message, found.details, field=found.field)
