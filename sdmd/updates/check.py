"""What a service's images could update to, found without pulling anything.

For each image reference of the compose file:
1. the digest the registry serves for its tag now, asked through the Docker daemon
   (`GET /distribution/{name}/json`: a manifest HEAD, no layer download), with the stored
   credentials of that registry as X-Registry-Auth;
2. with a tag policy, the registry's tags (`/v2/<name>/tags/list`), and the newest tag the policy
   allows; its digest, again through the daemon;
3. compared with the RepoDigests of the image the containers run. An image with no RepoDigest for
   this repository (built or imported locally) is `unknown`: never reported as an update.
The candidate's image id (its config digest) comes from the registry's manifest over HTTP; it is
best effort, as are the created date and OCI labels (`details=True`), which cost one small blob.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sdmd.core import Core
from sdmd.docker import DockerGateway
from sdmd.docker.gateway import SERVICE_LABEL
from sdmd.docker.registry import RegistryAuth, familiar, registry_of
from sdmd.errors import NotFound, RegistryRateLimited, SdmdError
from sdmd.registries.client import RegistryClient
from sdmd.registries.service import auth_for
from sdmd.updates.policy import DEFAULT, Policy, choose, parse_version
from sdmd.updates.refs import ImageRef, parse_ref
from sdmd.updates.release import release_info

log = logging.getLogger("sdmd.updates")

UP_TO_DATE = "up_to_date"
UPDATE_AVAILABLE = "update_available"
UNKNOWN = "unknown"
ERROR = "error"
OFF = "off"


@dataclass
class Tracked:
    """One image reference (and policy) of the compose file and what the check learnt about it."""

    image: str
    ref: ImageRef
    services: list[str]
    policy: Policy = DEFAULT
    file_image: str | None = None  # the image line as written (None: a ${VARIABLE} or not found)
    running_ids: list[str] = field(default_factory=list)
    tag_id_before: str | None = None
    current_digest: str | None = None
    registry_digest: str | None = None
    candidate_tag: str | None = None
    candidate_digest: str | None = None
    candidate_id: str | None = None
    new_id: str | None = None
    status: str = UNKNOWN
    reason: str | None = None
    current_info: dict[str, Any] = field(default_factory=dict)
    candidate_info: dict[str, Any] = field(default_factory=dict)

    @property
    def registry(self) -> str:
        return registry_of(self.ref.repository)

    @property
    def old_id(self) -> str | None:
        if self.running_ids:
            return Counter(self.running_ids).most_common(1)[0][0]
        return self.tag_id_before

    @property
    def bump(self) -> bool:
        """The update moves to another tag, so compose.yaml changes."""
        return self.candidate_tag is not None and self.candidate_tag != self.ref.tag

    @property
    def candidate_ref(self) -> str:
        return f"{self.ref.repository}:{self.candidate_tag or self.ref.tag}"

    @property
    def changed(self) -> bool:
        if self.bump and self.new_id is not None:
            return True
        if self.new_id is None:
            return False
        if self.running_ids:
            return any(i != self.new_id for i in self.running_ids)
        return self.tag_id_before != self.new_id

    def view(self) -> dict[str, Any]:
        """What a run keeps (update_runs.images, the audit record): ids and digests, never labels."""
        return {"service": ",".join(self.services), "image": self.image, "old_id": self.old_id,
                "new_id": self.new_id or (self.candidate_id if self.status == UPDATE_AVAILABLE else self.old_id),
                "changed": self.changed or (self.new_id is None and self.status == UPDATE_AVAILABLE),
                "status": self.status, "reason": self.reason, "policy": self.policy.update,
                "tag": self.ref.tag, "current_digest": self.current_digest,
                "candidate_tag": self.candidate_tag, "candidate_digest": self.candidate_digest}


def track(images: dict[str, str], containers: list[dict[str, Any]], policies: dict[str, Policy],
          file_images: dict[str, str | None]) -> list[Tracked]:
    """Group compose services by (image, policy); digest-pinned references have nothing to follow."""
    by_key: dict[tuple[str, Policy], Tracked] = {}
    for service, image in images.items():
        ref = parse_ref(image)
        if ref.pinned:
            continue
        policy = policies.get(service, DEFAULT)
        tracked = by_key.setdefault((image, policy), Tracked(image=image, ref=ref, services=[], policy=policy,
                                                             file_image=file_images.get(service)))
        tracked.services.append(service)
        if file_images.get(service) != tracked.file_image:
            tracked.file_image = None  # the same image written two ways: no single line to edit
    for c in containers:
        service = (c.get("Labels") or {}).get(SERVICE_LABEL)
        for tracked in by_key.values():
            if service in tracked.services and c.get("ImageID"):
                tracked.running_ids.append(c["ImageID"])
    return list(by_key.values())


def check_all(core: Core, tracked: list[Tracked], *, details: bool = False) -> None:
    """Check every image at once (registry round trips dominate); each records its own error."""
    active = [t for t in tracked if t.policy.update != "off"]
    for t in tracked:
        if t.policy.update == "off":
            t.status, t.reason = OFF, "x-sdmd update: off"
    if not active:
        return
    credentials: dict[str, RegistryAuth | None] = {}
    for t in active:
        if t.registry not in credentials:
            try:
                credentials[t.registry] = auth_for(core, t.registry)
            except SdmdError as exc:
                credentials[t.registry] = None
                t.status, t.reason = ERROR, _reason(exc)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(active), 8)) as pool:
        list(pool.map(lambda t: _check_one(core, t, credentials.get(t.registry), details), active))


def _check_one(core: Core, t: Tracked, auth: RegistryAuth | None, details: bool) -> None:
    if t.status == ERROR:
        return
    try:
        _inspect_local(core, t)
        try:
            t.registry_digest = distribution_digest(core.docker, core.registries, t.registry, t.ref.repository,
                                                    t.ref.tag or "latest", auth)
        except NotFound:
            if t.current_info.get("digests") or t.policy.follows_tags:
                raise
            t.status, t.reason = UNKNOWN, "the tag is not in its registry: the image was built or imported locally"
            return
        digests = t.current_info.get("digests") or []
        t.current_digest = t.registry_digest if t.registry_digest in digests else (digests[0] if digests else None)
        if t.policy.follows_tags:
            _follow_tags(core, t, auth)
        if t.candidate_tag is None:
            _compare_digest(t)
        if t.status == UPDATE_AVAILABLE:
            _candidate_image(core, t, auth, details)
    except SdmdError as exc:
        t.status, t.reason = ERROR, _reason(exc)
    except Exception as exc:  # one image's surprise must not hide the others' answers
        log.exception("checking %s failed", t.image)
        t.status, t.reason = ERROR, f"{type(exc).__name__}: {exc}"


def distribution_digest(docker: DockerGateway, registries: RegistryClient, registry: str, repository: str,
                        tag: str, auth: RegistryAuth | None) -> str:
    """The tag's digest through the daemon. The daemon reports a registry's 429 without its Retry-After;
    the registry's HTTP API gives it: that call waits as long as the registry asks (or fails when
    that is longer than SDMD_REGISTRY_RETRY_MAX_SECONDS), then the daemon is asked once more."""
    try:
        return docker.inspect_distribution(f"{repository}:{tag}", auth).digest
    except RegistryRateLimited:
        registries.manifest(registry, repository, tag, auth, docker.platform())
        return docker.inspect_distribution(f"{repository}:{tag}", auth).digest


def _inspect_local(core: Core, t: Tracked) -> None:
    info = core.docker.inspect_image(t.old_id) if t.old_id else core.docker.inspect_image(str(t.ref))
    if info is None:
        return
    if not t.running_ids:
        t.tag_id_before = info["Id"]
    name = familiar(t.ref.repository)
    digests = [d.split("@", 1)[1] for d in info.get("RepoDigests") or [] if familiar(d.split("@", 1)[0]) == name]
    t.current_info = {"labels": (info.get("Config") or {}).get("Labels") or {}, "created": info.get("Created"),
                      "digests": digests}


def _follow_tags(core: Core, t: Tracked, auth: RegistryAuth | None) -> None:
    tag = t.ref.tag or "latest"
    if parse_version(tag) is None:
        t.reason = f"update: {t.policy.update} needs a version tag; {tag} is followed by digest"
        return
    tags = core.registries.list_tags(t.registry, t.ref.repository, auth)
    candidate = choose(t.policy, tag, tags)
    if candidate is None:
        return
    t.candidate_tag = candidate
    t.candidate_digest = distribution_digest(core.docker, core.registries, t.registry, t.ref.repository,
                                             candidate, auth)
    t.status, t.reason = UPDATE_AVAILABLE, f"{tag} → {candidate}"


def _compare_digest(t: Tracked) -> None:
    digests = t.current_info.get("digests") or []
    if not digests:
        t.status = UNKNOWN
        t.reason = "the image has no registry digest (built or imported locally): cannot tell"
    elif t.registry_digest in digests:
        t.status = UP_TO_DATE
    else:
        t.status, t.candidate_tag, t.candidate_digest = UPDATE_AVAILABLE, t.ref.tag, t.registry_digest
        t.reason = f"{t.ref.tag}: new digest"


def _candidate_image(core: Core, t: Tracked, auth: RegistryAuth | None, details: bool) -> None:
    """The candidate's image id and, with details, its created date and labels (best effort)."""
    try:
        manifest = core.registries.manifest(t.registry, t.ref.repository, t.candidate_digest or t.candidate_ref,
                                            auth, core.docker.platform())
        t.candidate_id = manifest.config_digest
        if details and manifest.config_digest:
            config = core.registries.image_config(t.registry, t.ref.repository, manifest.config_digest, auth)
            t.candidate_info = release_info((config.get("config") or {}).get("Labels") or {}, config.get("created"))
    except SdmdError as exc:
        log.info("no details for %s: %s", t.candidate_ref, _reason(exc))
    if not t.bump and t.candidate_id and t.running_ids and all(i == t.candidate_id for i in t.running_ids):
        # A new manifest (say, re-pushed as a multi-platform index) of the very image that runs.
        t.status, t.reason, t.candidate_tag, t.candidate_digest = UP_TO_DATE, "same image, new manifest", None, None


def _reason(exc: SdmdError) -> str:
    return f"{exc.message}: {exc.details}" if exc.details else exc.message
