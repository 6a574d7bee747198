"""The stacks folder: stacks/<name>/compose.yaml, the source of truth, written atomically."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sdmd.docker import ComposeProject
from sdmd.secretbox import write_private_file
from sdmd.services.definition import NAME_RE

COMPOSE_FILE = "compose.yaml"
ENV_FILE = ".env"  # compose reads it from the project folder to interpolate ${VARIABLES}


class StackStore:
    def __init__(self, root: Path, lock_dir: Path) -> None:
        self.root = root
        self.lock_dir = lock_dir
        self._thread_locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def directory(self, name: str) -> Path:
        return self.root / name

    def file(self, name: str) -> Path:
        return self.directory(name) / COMPOSE_FILE

    def project(self, name: str) -> ComposeProject:
        return ComposeProject(name=name, directory=self.directory(name).resolve())

    def exists(self, name: str) -> bool:
        return self.file(name).is_file()

    def read(self, name: str) -> str | None:
        """The file's exact text: CRLF line ends and a BOM are kept (newline=""), so edits can keep them."""
        try:
            with open(self.file(name), encoding="utf-8", newline="") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if NAME_RE.match(p.name) and (p / COMPOSE_FILE).is_file())

    def write(self, name: str, text: str) -> None:
        """Atomic: a reader sees the old file or the new one, never half of one."""
        directory = self.directory(name)
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".compose.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.file(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- the stack's .env, beside compose.yaml (issue 18) ------------------------------------
    def env_file(self, name: str) -> Path:
        return self.directory(name) / ENV_FILE

    def read_env(self, name: str) -> str | None:
        try:
            return self.env_file(name).read_text()
        except FileNotFoundError:
            return None

    def write_env(self, name: str, text: str | None) -> None:
        """Atomic and private (0600: it holds secrets); None removes the file."""
        if text is None:
            self.env_file(name).unlink(missing_ok=True)
            return
        write_private_file(self.env_file(name), text.encode())

    @contextmanager
    def env_candidate(self, name: str, text: str) -> Iterator[tuple[ComposeProject, Path]]:
        """The stack as it is, with a draft .env in a private scratch folder (0700) for `compose config`."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".draft-{name}-", dir=self.root) as tmp:
            draft = Path(tmp) / ENV_FILE
            write_private_file(draft, text.encode())
            yield self.project(name), draft

    def remove(self, name: str) -> None:
        shutil.rmtree(self.directory(name), ignore_errors=True)

    @contextmanager
    def candidate(self, name: str, text: str) -> Iterator[ComposeProject]:
        """A draft compose file beside the stack, for `docker compose config` before anything is written.

        The project directory is the stack's real folder, so relative paths resolve as they will.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".draft-{name}-", dir=self.root) as tmp:
            draft = Path(tmp) / COMPOSE_FILE
            with open(draft, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            yield ComposeProject(name=name, directory=self.directory(name).resolve(), files=(draft,))

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """One writer per stack, across threads and processes (API, worker, reconcile)."""
        with self._guard:
            thread_lock = self._thread_locks.setdefault(name, threading.RLock())
        with thread_lock:
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            with open(self.lock_dir / f"{name}.lock", "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
