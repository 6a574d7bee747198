"""Gitops costs on this machine (not part of the suite): python -m tests.bench.bench_gitops [N]

Measures: one API-commit (git only), the config hashes of one file version (compose, twice),
listing N managed services with drift (one /containers/json + DB + file reads), and a reconcile
round over N unchanged stacks.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from sdmd.config import Settings
from sdmd.core import Core
from sdmd.gitops.context import compute_service_hashes, git_repo
from sdmd.gitops.git import GITOPS
from sdmd.gitops.reconcile import reconcile
from sdmd.services import service
from sdmd.services.service import Definition
from tests.support import IMAGE_V1, SLEEPER, remove_projects


def timed(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main(n: int) -> None:
    prefix = f"bench{int(time.time()) % 100000}"
    with tempfile.TemporaryDirectory() as tmp:
        core = Core(Settings(data_dir=Path(tmp) / "data", stacks_dir=Path(tmp) / "stacks", gitops_watch=False))
        core.settings.ensure_dirs()
        core.db.migrate()
        try:
            names = [f"{prefix}-s{i}" for i in range(n)]
            for name in names:
                service.create_service(core, actor=None, definition=Definition.from_json(
                    {"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}}))
            git = git_repo(core)
            counter = iter(range(10_000))

            def one_commit() -> None:
                path = core.stacks.file(names[0])
                path.write_text(path.read_text() + f"# {next(counter)}\n")
                git.commit([names[0]], author=GITOPS, message="bench")

            text = core.stacks.read(names[0]) or ""

            def hashes() -> None:
                from sdmd.gitops import context

                context._hash_cache.clear()
                compute_service_hashes(core, names[0], text)

            print(f"git commit of one stack folder: {timed(one_commit):.1f} ms")
            print(f"config hashes of one file version: {timed(hashes):.1f} ms")
            reconcile(core)  # applies the comment-only edits above, so the timed rounds find nothing to do
            print(f"list {n} managed services with drift: {timed(lambda: service.list_services(core), 10):.1f} ms")
            print(f"reconcile round, {n} unchanged stacks: {timed(lambda: reconcile(core)):.1f} ms")
        finally:
            remove_projects(prefix)
            core.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
