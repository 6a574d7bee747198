"""The stacks folder as a git repository, driven through the git command line.

Why the CLI rather than dulwich or GitPython: git is already on every host that has stacks in git,
its behaviour (ignore rules, fetch/push transports, credentials helpers, ssh config) is exactly what
the person sees when they run git by hand, and GitPython itself shells out to it. Every call has a
timeout and never prompts (GIT_TERMINAL_PROMPT=0).

One repository-wide lock (threads and processes) serialises sdmd's git calls, because git's own
index.lock makes a second concurrent writer fail rather than wait. Lock order is always
stack lock(s) first, then this lock, so it never deadlocks with the per-stack locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sdmd.auth.identity import Actor
from sdmd.errors import SdmdError

log = logging.getLogger("sdmd.gitops")

# Scratch files sdmd itself writes into the stacks folder, and editors' swap files.
EXCLUDES = (".draft-*/", ".compose.*.tmp", "*.swp", "*~", ".#*")
COMMITTER = ("sdmd", "sdmd@sdmd.invalid")
GITOPS_AUTHOR = ("sdmd-gitops", "gitops@sdmd.invalid")
LOCAL_TIMEOUT = 30.0
NETWORK_TIMEOUT = 120.0


class GitError(SdmdError):
    status = 500
    message = "git error"


@dataclass(frozen=True)
class Author:
    name: str
    email: str


def author_for(actor: Actor | None) -> Author:
    """The commit author for whoever made a change: the user from the token, or an sdmd actor."""
    if actor is None:
        return Author(*COMMITTER)
    if actor.id in ("gitops", "scheduler") and actor.email is None:
        return Author(f"sdmd-{actor.id}", f"{actor.id}@sdmd.invalid")
    name = actor.email or actor.id or "unknown"
    return Author(name, actor.email or f"{actor.id or 'unknown'}@sdmd.invalid")


GITOPS = Author(*GITOPS_AUTHOR)


@dataclass(frozen=True)
class PreparedCommit:
    """GitRepo.prepare's result: `sha` (None: nothing to commit) on top of `parent` (None: the first)."""

    paths: list[str]
    message: str
    parent: str | None
    sha: str | None
    author: Author | None = None


class GitRepo:
    def __init__(self, root: Path, lock_dir: Path, *, timeout: float = LOCAL_TIMEOUT,
                 network_timeout: float = NETWORK_TIMEOUT) -> None:
        self.root = root.resolve()
        self.lock_dir = lock_dir
        self.timeout = timeout  # SDMD_GIT_TIMEOUT_SECONDS
        self.network_timeout = network_timeout  # SDMD_GIT_NETWORK_TIMEOUT_SECONDS
        self._thread_lock = threading.RLock()
        self._holder = threading.local()
        self.ensured = False

    # -- plumbing ---------------------------------------------------------------------------
    def run(self, *args: str, check: bool = True, timeout: float | None = None, network: bool = False,
            author: Author | None = None, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """git with a deadline: past it the whole process group (git and the ssh, remote helpers or hooks
        it started) is killed, and GitError says so."""
        timeout = timeout if timeout is not None else self.network_timeout if network else self.timeout
        env = dict(os.environ)
        env.update(env_extra or {})
        env.update({
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_COMMITTER_NAME": COMMITTER[0],
            "GIT_COMMITTER_EMAIL": COMMITTER[1],
            "LC_ALL": "C",
        })
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        if author is not None:
            env.update({"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email})
        # The stacks folder may belong to another user (a mounted volume); it is ours to manage.
        cmd = ["git", "-c", f"safe.directory={self.root}", "-c", "commit.gpgsign=false", *args]
        started = time.time()
        try:
            proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, start_new_session=True)
        except FileNotFoundError as exc:
            raise GitError("git is not installed", str(exc)) from exc
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc)
            self._drop_our_index_lock(started)
            setting = "SDMD_GIT_NETWORK_TIMEOUT_SECONDS" if network else "SDMD_GIT_TIMEOUT_SECONDS"
            raise GitError("git timed out", f"git {' '.join(args)}: timed out after {timeout:g}s and was "
                           f"stopped ({setting})") from exc
        except BaseException:
            _kill_group(proc)
            raise
        result = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
        if check and result.returncode != 0:
            raise GitError("git error", f"git {' '.join(args)}: {(stderr or stdout).strip()[-2000:]}")
        return result

    def _drop_our_index_lock(self, since: float) -> None:
        """A git killed while it held index.lock leaves it behind and every later git write fails. One made
        since our call started is that git's (sdmd's calls are serialised by lock()); an older one is a person's."""
        index_lock = self.root / ".git" / "index.lock"
        try:
            if index_lock.stat().st_mtime >= since - 1:
                index_lock.unlink()
        except FileNotFoundError:
            pass

    def out(self, *args: str, timeout: float | None = None, author: Author | None = None,
            env_extra: dict[str, str] | None = None) -> str:
        return self.run(*args, timeout=timeout, author=author, env_extra=env_extra).stdout.strip()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Re-entrant within a thread; exclusive across threads and processes."""
        depth = getattr(self._holder, "depth", 0)
        if depth:
            self._holder.depth = depth + 1
            try:
                yield
            finally:
                self._holder.depth -= 1
            return
        with self._thread_lock:
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            with open(self.lock_dir / ".git.lock", "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                self._holder.depth = 1
                try:
                    yield
                finally:
                    self._holder.depth = 0
                    fcntl.flock(fh, fcntl.LOCK_UN)

    # -- setup ------------------------------------------------------------------------------
    def ensure(self, branch: str) -> bool:
        """git init the stacks folder when it is not a repository itself; True when it was created."""
        created = False
        with self.lock():
            self.root.mkdir(parents=True, exist_ok=True)
            if not (self.root / ".git").exists():
                self.run("init", "-q", "-b", branch)
                created = True
            # Scratch indexes exist only while lock() is held (prepare): any found now is a killed process's.
            for stale in (self.root / ".git").glob("sdmd-index-*"):
                shutil.rmtree(stale, ignore_errors=True)
            exclude = self.root / ".git" / "info" / "exclude"
            exclude.parent.mkdir(parents=True, exist_ok=True)
            current = exclude.read_text() if exclude.exists() else ""
            missing = [p for p in EXCLUDES if p not in current.splitlines()]
            if missing:
                prefix = "" if not current or current.endswith("\n") else "\n"
                exclude.write_text(current + prefix + "# sdmd scratch files\n" + "\n".join(missing) + "\n")
        self.ensured = True
        return created

    # -- reads ------------------------------------------------------------------------------
    def head(self) -> str | None:
        proc = self.run("rev-parse", "--verify", "-q", "HEAD", check=False)
        return (proc.stdout.strip() or None) if proc.returncode == 0 else None

    def branch(self) -> str | None:
        proc = self.run("symbolic-ref", "-q", "--short", "HEAD", check=False)
        return (proc.stdout.strip() or None) if proc.returncode == 0 else None

    def dirty(self, folders: Collection[str] | None = None) -> dict[str, list[str]]:
        """Uncommitted paths grouped by their top-level folder ('' for files at the root); `folders`:
        only under those top-level paths (taken literally), so git does not walk the whole tree."""
        if folders is not None and not folders:
            return {}
        limit = ["--", *sorted(folders)] if folders is not None else []
        raw = self.run("--literal-pathspecs", "status", "--porcelain=v1", "-z", "--untracked-files=all",
                       "--no-renames", *limit).stdout
        groups: dict[str, list[str]] = {}
        for entry in raw.split("\0"):
            if len(entry) < 4:
                continue
            path = entry[3:]
            top, sep, _ = path.partition("/")
            groups.setdefault(top if sep else "", []).append(path)
        return groups

    def status_codes(self, folder: str) -> set[str]:
        """The porcelain XY codes of a folder's uncommitted paths ('??' untracked, ' D' deleted, ...)."""
        raw = self.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                       "--", folder).stdout
        return {entry[:2] for entry in raw.split("\0") if len(entry) >= 4}

    def last_commit(self, folder: str) -> str | None:
        if self.head() is None:
            return None
        return self.out("log", "-1", "--format=%H", "--", f"{folder}/") or None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self.run("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0

    def changed_folders(self, old: str, new: str) -> list[str]:
        names = self.out("diff", "--name-only", "--no-renames", old, new).splitlines()
        return sorted({n.split("/", 1)[0] for n in names if "/" in n})

    def tree_folders(self, rev: str) -> list[str]:
        return sorted(self.out("ls-tree", "--name-only", "-d", rev).splitlines())

    def log(self, folder: str | None = None, limit: int = 20) -> list[dict[str, str]]:
        if self.head() is None:
            return []
        args = ["log", f"-{limit}", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s"]
        if folder:
            args += ["--", f"{folder}/"]
        rows = []
        for line in self.out(*args).splitlines():
            sha, name, email, when, subject = line.split("\x1f", 4)
            rows.append({"commit": sha, "author": name, "email": email, "date": when, "message": subject})
        return rows

    # -- writes -----------------------------------------------------------------------------
    def commit(self, paths: list[str], *, author: Author, message: str) -> str | None:
        """Commit exactly the working-tree state of `paths` on top of HEAD; None when nothing changed there.

        Built in a scratch index, so whatever a person has staged elsewhere is neither committed nor
        disturbed; afterwards the real index is brought in line with the new commit for those paths.
        """
        with self.lock():
            return self._publish(self.prepare(paths, author=author, message=message), again=False)

    def prepare(self, paths: list[str], *, author: Author, message: str) -> PreparedCommit:
        """The commit `commit` would make, as an object no ref names yet (HEAD, the branch and the real
        index are untouched): it can be built while something slow runs, then `finish`ed in two git calls."""
        with self.lock():
            if not self.run("status", "--porcelain=v1", "--untracked-files=all", "--", *paths).stdout.strip():
                return PreparedCommit(paths, message, None, None)
            parent = self.head()
            with tempfile.TemporaryDirectory(prefix="sdmd-index-", dir=self.root / ".git") as tmp:
                index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
                self.run("read-tree", parent or "--empty", env_extra=index)
                added = self.run("add", "-A", "--", *paths, env_extra=index, check=False)
                tree = self.out("write-tree", env_extra=index)
            if added.returncode != 0 or (parent and tree == self.out("rev-parse", f"{parent}^{{tree}}")):
                # Only the real index differed (something staged, then undone in the files).
                self.run("reset", "-q", "--", *paths, check=parent is not None)
                return PreparedCommit(paths, message, parent, None)
            sha = self.out("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message, author=author)
            return PreparedCommit(paths, message, parent, sha, author)

    def finish(self, prepared: PreparedCommit) -> str | None:
        """Make a prepared commit HEAD's, if HEAD is still the commit it was built on; otherwise (another
        commit came first) commit afresh. The real index is brought in line for its paths, as `commit` does."""
        with self.lock():
            return self._publish(prepared, again=True)

    def _publish(self, prepared: PreparedCommit, *, again: bool) -> str | None:
        if prepared.sha is None:
            return None
        moved = self.run("update-ref", "-m", f"sdmd: {prepared.message.splitlines()[0]}", "HEAD", prepared.sha,
                         prepared.parent or "0" * 40, check=not again)
        if moved.returncode != 0:  # HEAD is not `parent` any more: build it again on the new HEAD
            assert prepared.author is not None
            return self.commit(prepared.paths, author=prepared.author, message=prepared.message)
        self.run("reset", "-q", "--", *prepared.paths)
        return prepared.sha

    def fetch(self, url: str, branch: str) -> str | None:
        """The remote branch's commit (kept as refs/remotes/sdmd/<branch>), or None when it has no such branch."""
        proc = self.run("ls-remote", "--heads", url, f"refs/heads/{branch}", network=True)
        if not proc.stdout.strip():
            return None
        self.run("fetch", "-q", "--no-tags", url, f"+refs/heads/{branch}:refs/remotes/sdmd/{branch}",
                 network=True)
        return self.out("rev-parse", f"refs/remotes/sdmd/{branch}")

    def fast_forward(self, target: str) -> None:
        self.run("merge", "-q", "--ff-only", target)

    def checkout_new(self, branch: str, target: str) -> None:
        """First start against an existing remote: take its history (never overwriting local files)."""
        self.run("checkout", "-q", "-B", branch, target)

    def push(self, url: str, branch: str) -> subprocess.CompletedProcess[str]:
        return self.run("push", "-q", "--porcelain", url, f"HEAD:refs/heads/{branch}", check=False,
                        network=True)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # its own session: the group is git and its children only
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
