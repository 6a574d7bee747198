"""Test-private image repositories on the shared registry, to play the part of an upstream that
publishes a new image under the same tag."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid

import httpx
from docker.errors import APIError, ImageNotFound

from tests.support import REGISTRY, docker_api, remove_projects

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


def image_id(ref: str) -> str | None:
    api = docker_api()
    try:
        return api.inspect_image(ref)["Id"]
    except ImageNotFound:
        return None
    finally:
        api.close()


def docker(*args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "DOCKER_BUILDKIT": "0"})
    if proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr or proc.stdout}")
    return proc.stdout.strip()


class Upstream:
    """127.0.0.1:5000/sdmd-test/<name>:latest, owned by one test."""

    def __init__(self, name: str, project_prefix: str | None = None) -> None:
        self.name = name
        self.repository = f"{REGISTRY}/sdmd-test/{name}"
        self.ref = f"{self.repository}:latest"
        self.built: list[str] = []
        self.project_prefix = project_prefix

    def build(self, base: str, *lines: str) -> str:
        """A new image from `base` (plus Dockerfile lines), unique by a label; returns its id."""
        dockerfile = "\n".join([f"FROM {base}", f'LABEL sdmd.test.build="{uuid.uuid4().hex}"', *lines]) + "\n"
        built = docker("build", "-q", "-", stdin=dockerfile)
        self.built.append(built)
        return built

    def publish(self, source: str) -> str:
        """Push `source` (an image id or reference) as this repository's :latest; returns its id."""
        docker("tag", source, self.ref)
        docker("push", "-q", self.ref)
        return image_id(self.ref) or ""

    def set_local(self, source: str) -> None:
        """Point the local tag (only) at `source`: the host still has the old version."""
        docker("tag", source, self.ref)

    def forget(self, image: str) -> None:
        """Remove a local image so the next pull has to fetch it from the registry."""
        api = docker_api()
        try:
            api.remove_image(image, force=True)
        except ImageNotFound:
            pass
        finally:
            api.close()

    def publish_remote_only(self, new: str, keep_local: str) -> str:
        """Upstream publishes `new` under the tag; this host still has `keep_local` under it."""
        new_id = self.publish(new)
        self.set_local(keep_local)
        if new_id in self.built:
            self.forget(new_id)
        return new_id

    def cleanup(self) -> None:
        if self.project_prefix:
            remove_projects(self.project_prefix)  # containers first, or their images cannot go
        api = docker_api()
        try:
            with contextlib.suppress(ImageNotFound, APIError):
                api.remove_image(self.ref)
            # Pulls leave repo@digest references behind even on shared images (app:1); drop ours.
            for image in api.images():
                for digest_ref in image.get("RepoDigests") or []:
                    if digest_ref.startswith(f"{self.repository}@"):
                        with contextlib.suppress(ImageNotFound, APIError):
                            api.remove_image(digest_ref)
            for built in self.built:
                with contextlib.suppress(ImageNotFound, APIError):
                    api.remove_image(built, force=True)
        finally:
            api.close()
        self._delete_from_registry()

    def _delete_from_registry(self) -> None:
        url = f"http://{REGISTRY}/v2/sdmd-test/{self.name}/manifests/latest"
        try:
            head = httpx.head(url, headers={"Accept": MANIFEST_TYPES}, timeout=5)
            digest = head.headers.get("Docker-Content-Digest")
            if head.status_code == 200 and digest:
                httpx.delete(f"http://{REGISTRY}/v2/sdmd-test/{self.name}/manifests/{digest}", timeout=5)
        except httpx.HTTPError:
            pass
