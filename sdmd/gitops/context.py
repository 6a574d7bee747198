"""Shared helpers: the stacks repository for a Core, and compose's config hashes cached by file content."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from sdmd.core import Core
from sdmd.gitops import repository as repo
from sdmd.gitops.git import GitRepo
from sdmd.gitops.models import GitopsStack
from sdmd.services.definition import content_hash, parse_yaml, plain

log = logging.getLogger("sdmd.gitops")

_repos: dict[tuple[Path, Path], GitRepo] = {}
_guard = threading.Lock()


def git_repo(core: Core) -> GitRepo:
    """The stacks folder's repository, initialised on first use in this process."""
    key = (core.stacks.root.resolve(), core.stacks.lock_dir.resolve())
    with _guard:
        found = _repos.get(key)
        if found is None:
            found = _repos[key] = GitRepo(core.stacks.root, core.stacks.lock_dir)
    found.timeout = core.settings.git_timeout_seconds
    found.network_timeout = core.settings.git_network_timeout_seconds
    if not found.ensured or not (found.root / ".git").exists():
        found.ensure(core.settings.git_branch)
    return found


def file_images(text: str) -> dict[str, str | None]:
    """Each service's image as the file writes it (None when it is built or uses a ${VARIABLE})."""
    try:
        doc = plain(parse_yaml(text))
    except Exception:
        return {}
    images: dict[str, str | None] = {}
    for service, spec in (doc.get("services") or {}).items():
        image = (spec or {}).get("image") if isinstance(spec, dict) else None
        images[str(service)] = image if isinstance(image, str) and "$" not in image else None
    return images


# The hashes for one content hash never change while compose.yaml stays the same, so one compose
# call per file version is enough; this in-process cache saves even that for the drift endpoint.
_hash_cache: dict[tuple[str, str, str], dict[str, Any]] = {}
_HASH_CACHE_MAX = 512


def compute_service_hashes(core: Core, name: str, text: str, model: dict[str, Any] | None = None) -> dict[str, Any]:
    """{service: {"hash", "image"}} for `text` as stacks/<name>/compose.yaml (two compose calls, once per
    version; one when `model`, compose's normalised model of `text` with the folder's .env, is given)."""
    key = _hash_key(core, name, text)
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    if model is not None:  # `config --hash` reads only the model's own file, never the folder
        result = core.docker.compose_config_hashes(core.stacks.project(name), model)
    else:
        with core.stacks.candidate(name, text) as draft:
            result = core.docker.compose_config_hashes(draft)
    _keep(key, result)
    return result


def remember_hashes(core: Core, name: str, text: str, hashes: dict[str, Any]) -> None:
    """Keep hashes found another way (hashes_from_labels) where compute_service_hashes looks first."""
    _keep(_hash_key(core, name, text), hashes)


def _hash_key(core: Core, name: str, text: str) -> tuple[str, str, str]:
    # The folder's .env feeds interpolation, so its content is part of what the hashes depend on.
    return name, content_hash(text), content_hash(core.stacks.read_env(name) or "")


def _keep(key: tuple[str, str, str], hashes: dict[str, Any]) -> None:
    if len(_hash_cache) >= _HASH_CACHE_MAX:
        _hash_cache.clear()
    _hash_cache[key] = hashes


def store_hashes(row: GitopsStack, text_hash: str, hashes: dict[str, Any] | None) -> None:
    if hashes is not None:
        row.hashes_for = text_hash
        row.service_hashes = hashes


def refresh_hashes(core: Core, name: str, text: str) -> dict[str, Any] | None:
    """Compute and keep the hashes for `text` unless they are kept already; None when compose refuses it."""
    text_hash = content_hash(text)
    with core.db.sessions() as session:
        row = repo.get(session, name)
        if row is not None and row.hashes_for == text_hash and row.service_hashes is not None:
            return row.service_hashes
    try:
        hashes = compute_service_hashes(core, name, text)
    except Exception as exc:  # an invalid file simply has no expected hashes
        log.info("no config hashes for %s: %s", name, exc)
        return None
    try:
        with core.db.session() as session:
            store_hashes(repo.get_or_create(session, name), text_hash, hashes)
    except Exception as exc:  # a concurrent writer stored its own; the cache is only an optimisation
        log.info("could not keep config hashes for %s: %s", name, exc)
    return hashes
