"""Benchmark: the deployment image's size beside issue 19's target (<= 250 MB), and what it is made of.

Run: .venv/bin/python -m tests.bench.bench_image [--image TAG] [--keep]
Not part of the test suite. Without --image it builds the image the way tests/deploy/test_image.py
does (bases from scripts/local_images.sh, wheels from its wheelhouse, no index) and removes it after;
with --image it sizes that image. Sizes are `docker image inspect`'s `Size` (uncompressed, every
layer), split by `docker history` into the base, the compose plugin, the virtualenv and the rest, with
the virtualenv's largest packages read inside the image. (The image has no docker CLI: sdmd runs the
compose plugin itself; the virtualenv's third-party packages are sourceless bytecode; see the Dockerfile.)

The official base and the local one. Users build on python:3.11-slim-bookworm; Docker Hub is out of
reach here, so what this measures is the local build, whose final stage starts from
sdmd-local/debian-python-runtime (Debian 12's own python3.11, git, redis-server and ca-certificates,
pruned by deploy/slim-runtime.sh and flattened into one layer). Everything above the base (the
compose plugin, the virtualenv, sdmd and the UI) is the same in both builds, up to the interpreter's
ABI, which is the same (CPython 3.11). The official build differs only in its base:
- python:3.11-slim-bookworm itself is a published ~125-130 MB (Debian's bookworm-slim, ~75 MB, plus
  CPython in /usr/local; a figure known from its registry listing, NOT measured here), against the local
  runtime base, whose size this prints. slim-runtime.sh's removals of that base's own files (apt,
  perl-base, debconf, gconv, parts of the standard library) only hide them there: they shrink the
  flattened local base alone;
- on top of it the runtime stage installs git and redis-server from apt and prunes them in the same
  layer with the same script; their share is estimated from the files the same Debian packages leave
  in the local image (git and its libcurl/gnutls stack without perl, git-man or git's daemons;
  redis-server and redis-tools with jemalloc: ~23 MB). This script prints that estimate when it sizes
  an image it built; it is an estimate, never a measurement.
So the official image should be about (130 + 23) - 97 (the local runtime base) = ~56 MB larger than the
local one, if docker:27-cli's compose plugin is the size of this machine's (compose's release build in
both cases; the versions differ).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

MB = 1e6  # docker's MB (what `docker images` prints)
TARGET = 250 * MB
# What python:3.11-slim-bookworm adds to Debian's packages for git and redis-server once pruned: these
# packages, by dpkg's Installed-Size in the local base (python slim already has libssl, ca-certificates,
# tzdata, zlib, libsqlite3, libexpat... so they are not counted).
APT_ADDED = ("git", "libcurl3-gnutls", "libnghttp2-14", "librtmp1", "libssh2-1", "libpsl5", "libldap-2.5-0",
             "libsasl2-2", "libsasl2-modules-db", "libbrotli1", "libgnutls30", "libnettle8", "libhogweed6",
             "libp11-kit0", "libtasn1-6", "libunistring2", "libidn2-0", "libgssapi-krb5-2", "libkrb5-3",
             "libk5crypto3", "libkrb5support0", "libkeyutils1", "libcom-err2", "libpcre2-8-0",
             "redis-server", "redis-tools", "libjemalloc2", "liblzf1")
PACKAGE_BYTES = """
import os, stat, subprocess, sys
listed = subprocess.run(["dpkg-query", "-L", *sys.argv[1:]], capture_output=True, text=True).stdout.split("\\n")
seen, total = set(), 0
for path in listed:
    try:
        st = os.lstat(path)
    except OSError:
        continue
    if stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino) not in seen:
        seen.add((st.st_dev, st.st_ino))
        total += st.st_size
print(total)
"""
SITE_SIZES = """
import os, sys, json
sp = next(p for p in sys.path if p.endswith("site-packages"))
sizes = {}
for entry in os.scandir(sp):
    total = 0
    if entry.is_dir(follow_symlinks=False):
        for root, _, files in os.walk(entry.path):
            total += sum(os.lstat(os.path.join(root, f)).st_size for f in files)
    else:
        total = entry.stat(follow_symlinks=False).st_size
    name = entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name
    sizes[name] = sizes.get(name, 0) + total
print(json.dumps(sizes))
"""


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, **kwargs)


def image_size(tag: str) -> int:
    return int(run("docker", "image", "inspect", "-f", "{{.Size}}", tag).stdout)


def parts(tag: str) -> dict[str, int]:
    """Bytes per part, from the image's layers (`docker history`)."""
    out = run("docker", "history", "--no-trunc", "--format", "{{json .}}", tag).stdout
    found = {"compose plugin": 0, "virtualenv (sdmd, its dependencies, the UI)": 0,
             "runtime stage's packages, user and checks": 0, "base image": 0}
    for line in out.splitlines():
        row = json.loads(line)
        by, size = row["CreatedBy"], _bytes(row["Size"])
        if "cli-plugins/docker-compose" in by:
            found["compose plugin"] += size
        elif re.search(r"COPY .* in /opt/sdmd\b", by):
            found["virtualenv (sdmd, its dependencies, the UI)"] += size
        elif "slim-runtime.sh" in by or "groupadd" in by or "check-image.py" in by:
            found["runtime stage's packages, user and checks"] += size
        else:
            found["base image"] += size
    return found


def _bytes(text: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)\s*([kMG]?B)", text).groups()
    return int(float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit])


def venv_packages(tag: str) -> dict[str, int]:
    out = run("docker", "run", "--rm", "--entrypoint", "python", tag, "-c", SITE_SIZES, timeout=120).stdout
    return json.loads(out)


def apt_added_estimate(tag: str) -> int | None:
    """Bytes on disk, in the image, of the files dpkg lists for APT_ADDED (what is left of those packages
    after deploy/slim-runtime.sh, each hard link once); None when the image has no dpkg."""
    done = subprocess.run(["docker", "run", "--rm", "--entrypoint", "python", tag, "-c", PACKAGE_BYTES, *APT_ADDED],
                          capture_output=True, text=True, timeout=120)
    return int(done.stdout) if done.returncode == 0 and done.stdout.strip().isdigit() else None


def build() -> tuple[str, list[str], dict[str, str]]:
    from tests.deploy.stack import build_context, build_image, local_images

    bases = local_images()
    context = build_context(Path(tempfile.mkdtemp(prefix="sdmd-bench-image-")), Path(bases["WHEELS_DIR"]))
    args = {k: bases[k] for k in ("PYTHON_IMAGE", "PYTHON_BUILD_IMAGE", "PYTHON_RUNTIME_IMAGE", "NODE_IMAGE",
                                  "DOCKER_CLI_IMAGE")}
    args.update(PIP_NO_INDEX="1", DOCKER_GID=str(os.stat("/var/run/docker.sock").st_gid))
    built = build_image(context, f"sdmd-bench-image-{os.getpid()}/sdmd:bench", args, label="sdmd.bench=image")
    run("rm", "-rf", str(context))
    print(f"built {built.tag} in {built.seconds:.0f} s from local bases (runtime base {bases['PYTHON_RUNTIME_IMAGE']})")
    return built.tag, built.intermediates, bases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", help="size this image instead of building one from the local bases")
    parser.add_argument("--keep", action="store_true", help="keep the image it builds")
    args = parser.parse_args()
    built = None
    if args.image:
        tag, bases = args.image, {}
    else:
        tag, intermediates, bases = build()
        built = (tag, intermediates)
    try:
        size = image_size(tag)
        print(f"\nthe deployment image {tag}")
        verdict = "met" if size <= TARGET else "NOT met"
        print(f"  {'size (docker image inspect)':<46} {size / MB:>7.0f} MB   target <= 250 MB   {verdict}")
        for name, part in parts(tag).items():
            print(f"    {name:<44} {part / MB:>7.1f} MB")
        if runtime := bases.get("PYTHON_RUNTIME_IMAGE"):
            print(f"    {'(the local runtime base image alone)':<44} {image_size(runtime) / MB:>7.1f} MB")
        packages = sorted(venv_packages(tag).items(), key=lambda kv: -kv[1])
        print("  the virtualenv's largest entries (site-packages, files' own sizes)")
        for name, part in packages[:15]:
            print(f"    {name:<44} {part / MB:>7.1f} MB")
        print(f"    {'all ' + str(len(packages)) + ' entries':<44} {sum(p for _, p in packages) / MB:>7.1f} MB")
        estimate = apt_added_estimate(tag)
        if estimate is not None and bases:
            print("\nthe official-base build (python:3.11-slim-bookworm) is NOT measured here (no Docker Hub);")
            print(f"  estimate, not a measurement: ~130 MB published base + {estimate / MB:.0f} MB of Debian packages "
                  f"(git, redis, their libraries: their files here)\n  in place of this build's "
                  f"{parts(tag)['base image'] / MB:.0f} MB base: "
                  f"~{(size - parts(tag)['base image'] + 130 * MB + estimate) / MB:.0f} MB")
    finally:
        if built and not args.keep:
            from tests.deploy.stack import Built

            Built(built[0], built[1]).remove()


if __name__ == "__main__":
    sys.exit(main())
