"""Building sdmd's image from locally made base images and running compose.yaml's stack, for the tests."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEASUREMENTS: dict[str, str] = {}  # printed at the end of the run (tests/deploy/conftest.py)


def run(*args: str, timeout: float = 600, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args[:4])}... exited {proc.returncode}:\n"
                             f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_images() -> dict[str, str]:
    """Base images and the wheelhouse, built once and cached by tag (scripts/local_images.sh)."""
    out = run("bash", str(REPO / "scripts" / "local_images.sh"), timeout=900).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def build_context(target: Path, wheels: Path) -> Path:
    """The repository's files (what git would commit, tests aside) plus the wheels and, when the web UI
    exists, its node_modules: the build runs with no package index reachable from inside it."""
    files = run("git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    for rel in filter(None, files.split("\0")):
        src = REPO / rel
        if rel.startswith("tests/") or not src.is_file():
            continue
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    for wheel in wheels.glob("*.whl"):
        shutil.copy2(wheel, target / "deploy" / "wheels" / wheel.name)
    web = REPO / "web"
    if (web / "package.json").is_file():
        if not (web / "node_modules").is_dir():  # the test command's build_web.sh has usually made them
            run("bash", str(REPO / "scripts" / "build_web.sh"), timeout=900)
        run("cp", "-a", str(web / "node_modules"), str(target / "web" / "node_modules"))
        ignore = target / ".dockerignore"
        ignore.write_text("\n".join(line for line in ignore.read_text().splitlines()
                                    if line.strip() != "web/node_modules") + "\n")
    return target


@dataclass
class Built:
    tag: str
    intermediates: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def remove(self) -> None:
        """The image and every intermediate image its stages left behind; base images stay cached."""
        run("docker", "rmi", "-f", self.tag, check=False)
        for image_id in reversed(self.intermediates):
            run("docker", "rmi", image_id, check=False)


def build_image(context: Path, tag: str, build_args: dict[str, str], label: str) -> Built:
    args = [arg for k, v in build_args.items() for arg in ("--build-arg", f"{k}={v}")]
    started = time.monotonic()
    # The classic builder takes the local base images as they are (BuildKit would try to resolve them
    # in a registry); its intermediate images are listed in its output, so they can be removed after.
    proc = run("docker", "build", "--force-rm", "--label", label, *args, "-t", tag, str(context),
               env={"DOCKER_BUILDKIT": "0"}, check=False, timeout=900)
    built = Built(tag, _intermediate_ids(proc.stdout), time.monotonic() - started)
    if proc.returncode != 0:
        built.remove()
        raise AssertionError(f"docker build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-3000:]}")
    return built


def _intermediate_ids(output: str) -> list[str]:
    ids, instruction = [], ""
    for line in output.splitlines():
        step = re.match(r"^Step \d+/\d+ : (\w+)", line)
        if step:
            instruction = step.group(1).upper()
        made = re.match(r"^ ---> ([0-9a-f]{12})$", line)
        if made and instruction != "FROM":
            ids.append(made.group(1))
    return ids


@dataclass
class Stack:
    project: str
    env_file: Path
    compose_file: Path = REPO / "compose.yaml"

    def compose(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        return run("docker", "compose", "-p", self.project, "--env-file", str(self.env_file),
                   "-f", str(self.compose_file), *args, timeout=timeout, check=check)

    def containers(self) -> list[dict]:
        out = self.compose("ps", "--all", "--format", "json").stdout.strip()
        if not out:
            return []
        # compose prints one JSON object per line (newer) or one JSON array (older)
        return json.loads(out) if out.startswith("[") else [json.loads(line) for line in out.splitlines()]

    def memory_mib(self) -> dict[str, float]:
        names = [c["Name"] for c in self.containers() if c.get("State") == "running"]
        out = run("docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *names).stdout
        usage = {}
        for line in out.splitlines():
            name, mem = line.split("\t")
            usage[name] = _mib(mem.split("/")[0].strip())
        return usage


def _mib(text: str) -> float:
    number, unit = re.match(r"([\d.]+)\s*([KMG]i?B|B)", text).groups()
    scale = {"B": 1 / 2**20, "KiB": 1 / 1024, "KB": 1 / 1024, "MiB": 1, "MB": 1, "GiB": 1024, "GB": 1024}
    return float(number) * scale[unit]
