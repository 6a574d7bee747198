"""Adopt: take over a compose project someone started by hand, without recreating its containers.

The project's compose file(s) come from the com.docker.compose.project.config_files label; the
com.docker.compose.project.working_dir label is the directory its relative paths meant. In
stacks/<name>/ the project directory changes, so:
- one file: copied as is, every relative path in it (bind mounts, build contexts, env_file,
  configs/secrets files, extends, include) rewritten to the absolute path it meant, as a minimal edit
  (services/editing.py): only the lines holding those paths change;
- several files (overrides): merged by `docker compose config --no-interpolate`, which makes the
  paths absolute itself and leaves ${VARIABLES} unexpanded (so no secret is written into git);
  comments of those files are not kept.
Before anything is written, compose's config hash of the copy is compared with each running
container's com.docker.compose.config-hash label: if any differs (typically ${VARIABLES} that came
from the shell or a .env file in the old directory), adopting is refused, because the next apply
would recreate those containers.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sdmd.audit.log import audited
from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.db.base import new_id
from sdmd.docker import ComposeProject
from sdmd.docker.gateway import CONFIG_FILES_LABEL, CONFIG_HASH_LABEL, SERVICE_LABEL, WORKDIR_LABEL
from sdmd.errors import Conflict, InvalidInput, NotFound
from sdmd.gitops.apply import summary
from sdmd.gitops.context import compute_service_hashes
from sdmd.gitops.drift import ONEOFF_LABEL
from sdmd.gitops.hooks import after_change
from sdmd.hosts import reader
from sdmd.hosts.registry import HostSpec
from sdmd.services import placement
from sdmd.services import repository as services_repo
from sdmd.services.definition import content_hash, parse_yaml, validate_name
from sdmd.services.editing import apply_document, document_of
from sdmd.services.models import DockerServiceConfig


def adopt(core: Core, *, actor: Actor | None, project: str, host: str = placement.LOCAL) -> str:
    """Returns the new service's id. On a host other than local, the new file says so in x-sdmd.host."""
    name = validate_name(project, "project")
    spec = core.hosts.get(host)
    with audited(core.db, actor, "service.adopt", target_name=name, details={"host": spec.name}) as audit, \
            core.stacks.locked(name):
        with core.db.sessions() as session:
            if services_repo.get_by_name(session, name) is not None:
                raise Conflict("service already managed", f"{name} is already a service of sdmd")
        if core.stacks.directory(name).exists():
            raise Conflict("stack folder exists", f"{core.stacks.directory(name)} exists; reconcile manages it")
        containers = [c for c in reader.project_containers(core, spec.name, name)
                      if (c.get("Labels") or {}).get(ONEOFF_LABEL) != "True"]
        if not containers:
            raise NotFound("compose project not found",
                           f"no containers labelled com.docker.compose.project={name} on host {spec.name}")
        files, workdir = _source(containers)
        audit.details.update({"config_files": [str(f) for f in files], "working_dir": str(workdir)})
        texts = [_read(core, spec, f) for f in files]
        text = _copy(core, name, files, texts, workdir)
        if not spec.local:
            text = placement.with_host(text, spec.name)
        _check_no_recreate(core, name, text, containers, workdir)
        audit.details.update(summary(text))
        core.stacks.write(name, text)
        with core.db.session() as session:
            config = DockerServiceConfig(id=new_id("svc"), name=name, compose_text=text,
                                         content_hash=content_hash(text), host=spec.name)
            session.add(config)
            session.flush()
            services_repo.add_history(session, config.id, status="adopted", event="adopt",
                                      detail=f"from {', '.join(str(f) for f in files)}")
        audit.target_id = config.id
        after_change(core, name=name, actor=actor, action="adopt", audit=audit, service_id=config.id)
    return config.id


def _source(containers: list[dict[str, Any]]) -> tuple[list[Path], Path]:
    # The newest container has the labels of the latest `docker compose up`.
    labels = max(containers, key=lambda c: c.get("Created") or 0).get("Labels") or {}
    raw_files = labels.get(CONFIG_FILES_LABEL) or ""
    workdir = labels.get(WORKDIR_LABEL) or ""
    if not raw_files or not workdir:
        raise InvalidInput("cannot adopt this project",
                           "its containers carry no com.docker.compose.project.config_files/working_dir labels")
    files = [Path(f) if os.path.isabs(f) else Path(workdir) / f for f in raw_files.split(",") if f]
    return files, Path(workdir)


def _read(core: Core, spec: HostSpec, path: Path) -> str:
    """A compose file of the project, from the host it was started on (over ssh for an SSH host)."""
    if spec.local:
        try:
            with open(path, encoding="utf-8", newline="") as fh:  # byte for byte: line ends kept
                return fh.read()
        except OSError as exc:
            raise InvalidInput("cannot adopt this project", f"its compose file {path} is not readable by sdmd") from exc
    if spec.ssh is None:
        raise InvalidInput("cannot adopt this project",
                           f"its compose file {path} is on host {spec.name}, which sdmd reaches over {spec.kind}:// "
                           "and cannot read files from; copy it to stacks/<name>/compose.yaml with "
                           f"x-sdmd: {{host: {spec.name}}} and reconcile takes the project over")
    return core.hosts.read_remote_file(spec, str(path))


def _copy(core: Core, name: str, files: list[Path], texts: list[str], workdir: Path) -> str:
    if len(files) > 1:
        with tempfile.TemporaryDirectory(prefix="sdmd-adopt-") as tmp:
            copies = []
            for i, (path, text) in enumerate(zip(files, texts, strict=True)):
                copy = Path(tmp) / f"{i}-{path.name}"
                copy.write_text(text)
                copies.append(copy)
            project = ComposeProject(name=name, directory=workdir, files=tuple(copies))
            return core.docker.compose_config_text(project)
    original = texts[0]
    max_nodes = core.settings.yaml_max_nodes
    parse_yaml(original, max_nodes)  # a compose mapping with services, aliases bounded
    doc = document_of(original, max_nodes=max_nodes)
    rebase_paths(doc, workdir)
    return apply_document(original, doc, max_nodes=max_nodes)


def _check_no_recreate(core: Core, name: str, text: str, containers: list[dict[str, Any]], workdir: Path) -> None:
    hashes = compute_service_hashes(core, name, text)
    differing = []
    for c in containers:
        labels = c.get("Labels") or {}
        service = labels.get(SERVICE_LABEL)
        if (hashes.get(service or "") or {}).get("hash") != labels.get(CONFIG_HASH_LABEL):
            differing.append(service or c["Id"][:12])
    if differing:
        hint = ""
        if (workdir / ".env").exists():
            hint = f" {workdir / '.env'} exists: values it gives to ${{VARIABLES}} are not copied (no secrets in git)."
        raise Conflict(
            "adopting would recreate containers",
            f"the copied definition of {', '.join(sorted(set(differing)))} differs from what is running "
            f"(compose config hash).{hint} Set those values in the file, or recreate the project by hand first.",
        )


# -- relative paths -------------------------------------------------------------------------

def _is_relative(value: Any) -> bool:
    return isinstance(value, str) and (value == "." or value.startswith(("./", "../")))


def _absolute(value: str, base: Path) -> str:
    return os.path.normpath(base / value)


def _rebase_value(node: Any, key: Any, base: Path) -> None:
    if _is_relative(node.get(key)):
        node[key] = _absolute(node[key], base)


def _rebase_list_or_value(node: Any, key: Any, base: Path, field: str = "path") -> None:
    value = node.get(key)
    if isinstance(value, str):
        _rebase_value(node, key, base)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if _is_relative(item):
                value[i] = _absolute(item, base)
            elif isinstance(item, dict):
                _rebase_value(item, field, base)


def rebase_paths(doc: dict, base: Path) -> None:
    """Rewrite the relative paths compose would resolve against the project directory, in the document."""
    for spec in (doc.get("services") or {}).values():
        if not isinstance(spec, dict):
            continue
        volumes = spec.get("volumes")
        if isinstance(volumes, list):
            for i, vol in enumerate(volumes):
                if isinstance(vol, str):
                    source, sep, rest = vol.partition(":")
                    if sep and _is_relative(source):
                        volumes[i] = f"{_absolute(source, base)}:{rest}"
                elif isinstance(vol, dict) and vol.get("type", "bind") == "bind":
                    _rebase_value(vol, "source", base)
        build = spec.get("build")
        if isinstance(build, str):
            _rebase_value(spec, "build", base)
        elif isinstance(build, dict):
            _rebase_value(build, "context", base)
        _rebase_list_or_value(spec, "env_file", base)
        _rebase_list_or_value(spec, "label_file", base)
        extends = spec.get("extends")
        if isinstance(extends, dict):
            _rebase_value(extends, "file", base)
    for section in ("configs", "secrets"):
        for item in (doc.get(section) or {}).values():
            if isinstance(item, dict):
                _rebase_value(item, "file", base)
    if "include" in doc:
        _rebase_list_or_value(doc, "include", base)
        for item in doc.get("include") or []:
            if isinstance(item, dict):
                _rebase_value(item, "project_directory", base)
                _rebase_list_or_value(item, "env_file", base)

