"""What the image's pruning (issue 19: the image <= 250 MB) could break, checked where it would break.

The Dockerfile runs it twice: at the end of the build stage (`build`: the virtualenv on the unpruned
build base) and in the final image as the sdmd user (`runtime`: the virtualenv on the pruned runtime
base, which has no docker CLI, no perl or apt, a trimmed and sourceless standard library). A failure
fails the build, naming what is missing. It writes nothing outside a temporary folder it removes.

Run: python check-image.py build|runtime
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

# What keeps its .py sources with their __pycache__ in site-packages (see the Dockerfile: sdmd for its
# tracebacks; apprise finds its plugins by listing *.py files there; anyio reads its own __init__.py).
KEEP_SOURCES = ("sdmd", "anyio", "apprise/plugins", "apprise/config", "apprise/attachment")
# Native modules and the entry points of each process (what sdmd's processes import at start or lazily).
MODULES = ("cryptography.hazmat.bindings._rust", "uvloop", "pydantic_core", "_ruamel_yaml", "orjson", "argon2",
           "httptools", "apprise", "rq_dashboard.cli", "rq_dashboard.web", "psycopg", "sqlalchemy.engine._row_cy",
           "sqlalchemy.dialects.postgresql.psycopg", "sqlalchemy.dialects.sqlite.pysqlite", "alembic.command",
           "uvicorn.loops.uvloop", "uvicorn.protocols.http.httptools_impl", "websockets.asyncio.server",
           "python_on_whales", "docker", "redis", "rq", "rq_scheduler", "croniter", "jwt", "pyotp", "segno",
           "fastapi", "starlette.staticfiles", "pydantic_settings", "httpx", "multipart", "python_multipart",
           "prometheus_client", "ruamel.yaml", "zoneinfo", "sqlite3", "ssl", "hashlib", "ctypes", "uuid",
           "decimal", "json", "email.mime.text", "smtplib", "http.client", "asyncio", "concurrent.futures",
           "multiprocessing", "logging.handlers", "unittest.mock", "pydoc", "tomllib", "lzma", "bz2", "zlib")


def fail(message: str) -> None:
    sys.exit(f"check-image: {message}")


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def check_imports() -> None:
    for name in MODULES:
        importlib.import_module(name)
    import psycopg

    if psycopg.pq.__impl__ != "binary":
        fail(f"psycopg runs its {psycopg.pq.__impl__} implementation, not the binary one")
    # Every sdmd module, so a standard library module removed from the runtime base shows here.
    import sdmd

    for info in pkgutil.walk_packages(sdmd.__path__, "sdmd."):
        importlib.import_module(info.name)


def check_bytecode() -> None:
    """Third-party packages: legacy .pyc only (no .py, no __pycache__); the kept ones: a .pyc in
    __pycache__ for each .py (the sdmd user cannot write one, so each start would compile them)."""
    root = site_packages()
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if any(rel == kept or rel.startswith(f"{kept}/") for kept in KEEP_SOURCES):
            if path.suffix == ".py" and not Path(importlib.util.cache_from_source(str(path))).is_file():
                fail(f"{path} has no .pyc in __pycache__")
        elif path.suffix == ".py" or path.name == "__pycache__":
            fail(f"{path}: a third-party source or __pycache__ left in the image")
    import anyio

    if "__getattr__" not in vars(anyio):  # its lazy importer read anyio/__init__.py; without it, all loads eagerly
        fail("anyio could not read its own sources")
    import apprise

    schemas = apprise.Apprise().details()["schemas"]
    if len(schemas) < 100:
        fail(f"apprise found {len(schemas)} notification plugins")


def check_runtime_tools() -> None:
    from sdmd.docker.compose import PLUGIN_ENV, compose_plugin

    if shutil.which("docker"):
        fail("a docker CLI is on PATH; the image ships the compose plugin alone")
    plugin = compose_plugin()
    if not plugin:
        fail("sdmd finds no compose plugin")
    # The command sdmd runs for compose (sdmd/docker/compose.py, _client_call), no docker CLI behind it.
    out = subprocess.run(["env", f"{PLUGIN_ENV}=docker", plugin, "compose", "version"], capture_output=True,
                         text=True, check=True).stdout
    if "Docker Compose version" not in out:
        fail(f"compose plugin: {out!r}")
    if os.environ.get("COMPOSE_BAKE") != "false":
        fail("COMPOSE_BAKE is not false: compose would build through `docker buildx bake`, which needs the CLI")
    subprocess.run(["redis-server", "--version"], capture_output=True, check=True)
    check_git()


def check_git() -> None:
    """The git commands sdmd runs on the stacks folder (init, add, commit, status, diff, merge, clone, push),
    on a base without perl."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "check",
               "GIT_AUTHOR_EMAIL": "check@sdmd", "GIT_COMMITTER_NAME": "check", "GIT_COMMITTER_EMAIL": "check@sdmd"}

        def git(*args: str, cwd: str = f"{tmp}/repo") -> str:
            return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                                  check=True).stdout

        os.mkdir(f"{tmp}/repo")
        git("init", "-q", "-b", "main")
        Path(tmp, "repo", "compose.yaml").write_text("services:\n  web:\n    image: nginx:1\n")
        git("add", "-A")
        git("commit", "-q", "-m", "first")
        git("switch", "-q", "-c", "edit")
        Path(tmp, "repo", "compose.yaml").write_text("services:\n  web:\n    image: nginx:2\n")
        Path(tmp, "repo", ".env").write_text("A=1\n")
        if "+    image: nginx:2" not in git("diff"):
            fail("git diff")
        git("add", "-A")
        git("commit", "-q", "-m", "edit")
        git("switch", "-q", "main")
        Path(tmp, "repo", "README").write_text("stacks\n")
        git("add", "README")
        git("commit", "-q", "-m", "readme")
        git("merge", "-q", "--no-ff", "-m", "merge", "edit")
        if git("status", "--porcelain") or "nginx:2" not in git("cat-file", "-p", "HEAD:compose.yaml"):
            fail("git merge")
        git("clone", "-q", "--bare", f"{tmp}/repo", f"{tmp}/remote.git", cwd=tmp)
        git("rm", "-q", "README")
        git("commit", "-q", "-m", "no readme")
        git("push", "-q", f"{tmp}/remote.git", "main")
        if git("rev-parse", "main") != git("rev-parse", "main", cwd=f"{tmp}/remote.git"):
            fail("git push")
        # https remotes: git-remote-https (libcurl) runs; with no URL it prints its usage and exits 1
        usage = subprocess.run(["git", "remote-https"], env=env, capture_output=True, text=True)
        if "usage" not in usage.stderr:
            fail(f"git remote-https: {usage.stderr!r}")


def main() -> None:
    where = sys.argv[1] if len(sys.argv) > 1 else ""
    if where not in ("build", "runtime"):
        fail("usage: check-image.py build|runtime")
    check_imports()
    check_bytecode()
    if where == "runtime":
        check_runtime_tools()
    print(f"check-image ({where}): ok")


if __name__ == "__main__":
    main()
