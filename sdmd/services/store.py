"""The stacks folder: stacks/<name>/compose.yaml, the source of truth, written atomically."""

from __future__ import annotations

import errno
import fcntl
import fnmatch
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from sdmd.docker import ComposeProject
from sdmd.errors import InsufficientStorage
from sdmd.secretbox import write_private_file
from sdmd.services.definition import NAME_RE

COMPOSE_FILE = "compose.yaml"
ENV_FILE = ".env"  # compose reads it from the project folder to interpolate ${VARIABLES}
DRAFT_PREFIX = ".draft-"  # tempfile adds "<name>-" and 8 random characters
TEMP_GLOB = ".compose.*.tmp"  # write()'s temporary, left only by a process killed mid-write
FULL = (errno.ENOSPC, errno.EDQUOT)


def _has_temporary(directory: str) -> bool:
    """Whether a stack folder holds a write temporary (TEMP_GLOB), with one directory read."""
    try:
        with os.scandir(directory) as entries:
            return any(fnmatch.fnmatchcase(e.name, TEMP_GLOB) for e in entries)
    except OSError:
        return False


@contextmanager
def storage_errors(where: Path) -> Iterator[None]:
    """A full disk is the user's to fix, not a bug: 507 naming the folder, never a 500."""
    try:
        yield
    except OSError as exc:
        if exc.errno in FULL:
            raise InsufficientStorage(details=f"{where}: {exc.strerror}; nothing was changed") from exc
        raise


class StackStore:
    def __init__(self, root: Path, lock_dir: Path) -> None:
        self.root = root
        self.lock_dir = lock_dir
        self.intent_dir = lock_dir.parent / "intents"  # see mark_intent
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
        try:  # os.path.join: the list reads every stack's file, and two pathlib joins cost more than the read
            with open(os.path.join(self.root, name, COMPOSE_FILE), encoding="utf-8", newline="") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def names(self, among: Collection[str] | None = None) -> list[str]:
        """Stack folders with a compose.yaml (of those in `among`, when given: no scan of the whole folder)."""
        if among is not None:
            return sorted(n for n in among if NAME_RE.match(n) and self.exists(n))
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if NAME_RE.match(p.name) and (p / COMPOSE_FILE).is_file())

    def write(self, name: str, text: str) -> None:
        """Atomic: a reader sees the old file or the new one, never half of one. On a full disk the old
        file stays as it was (and a folder made for a new one goes again): InsufficientStorage."""
        directory = self.directory(name)
        made = not directory.exists()
        with storage_errors(directory):
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
                if made:
                    shutil.rmtree(directory, ignore_errors=True)
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

    # -- crash safety: what a killed process leaves behind (issue 19) -------------------------
    def scratch_owners(self, among: Collection[str] | None = None) -> set[str]:
        """Stack names with a draft folder or a write temporary on disk. Drafts only exist while their
        stack's lock is held, so whoever holds that lock and still sees one knows it is stale.
        `among`: only look inside those stacks' folders (the root is listed once either way)."""
        owners = set()
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return owners
        for entry in entries:
            if entry.name.startswith(DRAFT_PREFIX) and entry.is_dir():
                name = entry.name[len(DRAFT_PREFIX):-9]  # "<name>-xxxxxxxx"
                if NAME_RE.match(name) and (among is None or name in among):
                    owners.add(name)
            elif (among is None or entry.name in among) and NAME_RE.match(entry.name) and entry.is_dir() \
                    and _has_temporary(entry.path):
                owners.add(entry.name)
        return owners

    def remove_scratch(self, name: str) -> list[str]:
        """Remove `name`'s stale drafts and write temporaries; call with the stack's lock held."""
        removed = []
        for draft in self.root.glob(f"{DRAFT_PREFIX}{name}-*"):
            if draft.is_dir() and len(draft.name) == len(DRAFT_PREFIX) + len(name) + 9:
                shutil.rmtree(draft, ignore_errors=True)
                removed.append(draft.name)
        for tmp in self.directory(name).glob(TEMP_GLOB):
            tmp.unlink(missing_ok=True)
            removed.append(f"{name}/{tmp.name}")
        return removed

    # Intents: what a step began and must be finished even if the process dies or the host was down
    # (kinds "deleting": a delete; "reapply": a stack whose containers may not match its file).
    # Outside the stacks folder, so git and the folder watcher never see them.
    def mark_intent(self, kind: str, name: str, record: dict | None = None) -> None:
        write_private_file(self.intent_dir / kind / f"{name}.json", json.dumps(record or {}).encode())

    def clear_intent(self, kind: str, name: str) -> None:
        (self.intent_dir / kind / f"{name}.json").unlink(missing_ok=True)

    def pending_intents(self, kind: str) -> dict[str, dict]:
        folder = self.intent_dir / kind
        if not folder.is_dir():
            return {}
        found = {}
        for path in sorted(folder.glob("*.json")):
            try:
                found[path.stem] = json.loads(path.read_text())
            except (OSError, ValueError):  # written atomically, so only a hand edit gets here
                found[path.stem] = {}
        return {name: record for name, record in found.items() if NAME_RE.match(name)}

    def mark_deleting(self, name: str, record: dict) -> None:
        """Written before a delete changes anything: if the process dies, reconcile finishes the delete."""
        self.mark_intent("deleting", name, record)

    def clear_deleting(self, name: str) -> None:
        self.clear_intent("deleting", name)

    def pending_deletes(self) -> dict[str, dict]:
        return self.pending_intents("deleting")

    @contextmanager
    def candidate(self, name: str, text: str) -> Iterator[ComposeProject]:
        """A draft compose file beside the stack, for `docker compose config` before anything is written.

        The project directory is the stack's real folder, so relative paths resolve as they will.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".draft-{name}-", dir=self.root) as tmp:
            draft = Path(tmp) / COMPOSE_FILE
            with storage_errors(self.root), open(draft, "w", encoding="utf-8", newline="") as fh:
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
