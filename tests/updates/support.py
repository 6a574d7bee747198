"""Test-private tagged repositories on a registry, built with `docker import` (as scripts/provision.sh
builds the shared test images): each tag a one-layer busybox root of its own, with OCI labels."""

from __future__ import annotations

import contextlib
import io
import os
import ssl
import subprocess
import tarfile
import uuid
from pathlib import Path

import httpx
from docker.errors import APIError, ImageNotFound

from sdmd.docker.registry import RegistryAuth
from tests.support import REGISTRY, docker_api

TAGS = ("1.0.0", "1.0.1", "1.1.0", "1.1.0-rc1", "2.0.0", "2.0.0-alpine", "latest")
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
BUSYBOX = Path("/bin/busybox")


def docker(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["docker", *args], input=stdin, capture_output=True, timeout=180,
                          env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr.decode() or proc.stdout.decode()}")
    return proc.stdout.decode().strip()


def rootfs(version: str, padding: int = 0) -> bytes:
    """A busybox root (as a tar) whose /VERSION says `version`; `padding` random bytes make a bigger layer."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for folder in ("bin", "tmp", "www", "etc"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        tar.add(str(BUSYBOX), arcname="bin/busybox")
        applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
        for applet in applets:
            if applet == "busybox":
                continue  # a link named busybox would replace the binary itself
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        files = {"etc/passwd": b"root:x:0:0:root:/:/bin/sh\n", "etc/group": b"root:x:0:\n",
                 "VERSION": f"{version} {uuid.uuid4().hex}\n".encode(), "www/index.html": f"v{version}\n".encode()}
        if padding:
            files["padding.bin"] = os.urandom(padding)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class TaggedRepo:
    """<registry>/sdmd-test/<name> with version tags, owned by one test (or module)."""

    def __init__(self, name: str, registry: str = REGISTRY, docker_config: str | None = None) -> None:
        self.name = name
        self.registry = registry
        self.repository = f"{registry}/sdmd-test/{name}"
        self.docker_env = {"DOCKER_CONFIG": docker_config} if docker_config else {}
        self.ids: dict[str, str] = {}
        self.pushed: set[str] = set()
        self.registry_auth: RegistryAuth | None = None  # for reading it with sdmd's registry client

    def ref(self, tag: str) -> str:
        return f"{self.repository}:{tag}"

    def build(self, tag: str, *, broken: bool = False, padding: int = 0, labels: dict[str, str] | None = None,
              push: bool = True) -> str:
        """Import a new image as :tag (and push it); returns its image id."""
        changes = ["CMD [\"sh\"]", "ENV PATH=/bin"]
        if broken:
            changes.append('ENTRYPOINT ["false"]')
        all_labels = {"org.opencontainers.image.version": tag,
                      "org.opencontainers.image.source": "https://github.com/sdmd-test/app",
                      "org.opencontainers.image.revision": uuid.uuid4().hex[:12], **(labels or {})}
        changes.append("LABEL " + " ".join(f'{k}="{v}"' for k, v in all_labels.items()))
        args = ["import"]
        for change in changes:
            args += ["--change", change]
        image_id = docker(*args, "-", self.ref(tag), stdin=rootfs(tag, padding))
        self.ids[tag] = image_id
        if push:
            docker("push", "-q", self.ref(tag), env=self.docker_env)
            self.pushed.add(tag)
        return image_id

    def build_all(self, tags: tuple[str, ...] = TAGS) -> TaggedRepo:
        for tag in tags:
            self.build(tag)
        return self

    def forget(self, tag: str) -> None:
        """Remove the local image of a tag, so only the registry has it."""
        api = docker_api()
        try:
            with contextlib.suppress(ImageNotFound, APIError):
                api.remove_image(self.ids.get(tag) or self.ref(tag), force=True)
        finally:
            api.close()

    def local_tags(self) -> set[str]:
        api = docker_api()
        try:
            return {t.rsplit(":", 1)[1] for image in api.images(name=self.repository)
                    for t in image.get("RepoTags") or [] if t.startswith(f"{self.repository}:")}
        finally:
            api.close()

    def cleanup(self, *, verify: str | bool = True, auth: tuple[str, str] | None = None) -> None:
        api = docker_api()
        try:
            for image in api.images():
                names = [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]
                if any(n.startswith((f"{self.repository}:", f"{self.repository}@")) for n in names):
                    with contextlib.suppress(ImageNotFound, APIError):
                        api.remove_image(image["Id"], force=True)
        finally:
            api.close()
        scheme = "http" if self.registry == REGISTRY else "https"
        context = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        with httpx.Client(verify=context, auth=auth, timeout=5) as http:
            for tag in self.pushed:
                url = f"{scheme}://{self.registry}/v2/sdmd-test/{self.name}/manifests"
                with contextlib.suppress(httpx.HTTPError):
                    head = http.head(f"{url}/{tag}", headers={"Accept": MANIFEST_TYPES})
                    digest = head.headers.get("Docker-Content-Digest")
                    if head.status_code == 200 and digest:
                        http.delete(f"{url}/{digest}")
