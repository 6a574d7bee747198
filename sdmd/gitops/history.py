"""A service's history you can use: one commit's diff of the folder, a file as it was, restoring a version.

Restoring is an ordinary update of the service with the old compose.yaml: validated by compose,
applied, rolled back if `compose up` fails, guarded by If-Match, audited and committed as a new
commit ("Restore service web to 1a2b3c4"). History is never rewritten.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from sdmd.auth.identity import Actor
from sdmd.core import Core
from sdmd.errors import Conflict, InvalidInput, NotFound
from sdmd.gitops.context import git_repo
from sdmd.gitops.git import GitRepo
from sdmd.gitops.service import managed_config
from sdmd.services import service as services
from sdmd.services.store import COMPOSE_FILE

COMMIT_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
MAX_PATCH_CHARS = 512 * 1024
MAX_FILE_BYTES = 1024 * 1024
STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "T": "type_changed", "C": "copied"}


def _commit(git: GitRepo, ref: str) -> str:
    """The full id of a commit on the current branch's history; 422 for a malformed id, 404 otherwise."""
    if not COMMIT_RE.match(ref):
        raise InvalidInput("invalid commit id", "give a commit id: 4 to 64 hex digits")
    proc = git.run("rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}", check=False)
    sha = proc.stdout.strip()
    head = git.head()
    if proc.returncode != 0 or not sha or head is None or not git.is_ancestor(sha, head):
        raise NotFound("commit not found", f"no commit {ref} in the stacks repository's history")
    return sha


def _parent(git: GitRepo, sha: str) -> str | None:
    parents = git.out("rev-list", "--parents", "-n", "1", sha).split()[1:]
    return parents[0] if parents else None


def _empty_tree(git: GitRepo) -> str:
    return git.out("hash-object", "-t", "tree", "/dev/null")


def _split_patch(patch: str) -> dict[str, str]:
    """{path b/...: its part of a unified diff}."""
    parts: dict[str, str] = {}
    for chunk in re.split(r"(?m)^(?=diff --git )", patch):
        if not chunk.startswith("diff --git "):
            continue
        header = chunk.splitlines()[0]
        match = re.match(r'^diff --git "?a/.*?"? "?b/(.*?)"?$', header)
        if match:
            parts[match.group(1)] = chunk
    return parts


def commit_detail(core: Core, service_id: str, ref: str) -> dict[str, Any]:
    """One commit as it concerns this service's folder: message, the files it changed there with their
    diffs (against its first parent), and the files the folder held at that version."""
    config = managed_config(core, service_id)
    git = git_repo(core)
    sha = _commit(git, ref)
    folder = f"{config.name}/"
    meta = git.out("show", "-s", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%P%x1f%B", sha).split("\x1f", 5)
    base = _parent(git, sha) or _empty_tree(git)
    diff_args = ("--no-color", "--no-ext-diff", "--no-textconv", "-M", base, sha, "--", folder)
    status_raw = git.out("diff", "--name-status", "-z", *diff_args)
    try:
        patch = git.run("diff", "--patch", *diff_args).stdout
    except UnicodeDecodeError:  # a file that is not UTF-8 text: list it without its diff
        patch = ""
    patches = _split_patch(patch)
    fields = [f for f in status_raw.split("\0") if f]
    files = []
    i = 0
    while i < len(fields):
        code = fields[i]
        if code[:1] in ("R", "C"):
            old, new = fields[i + 1], fields[i + 2]
            i += 3
        else:
            old = new = fields[i + 1]
            i += 2
        text = patches.get(new, "")
        binary = "Binary files" in text and "@@" not in text
        truncated = len(text) > MAX_PATCH_CHARS
        lines = text.splitlines()
        files.append({
            "path": new.removeprefix(folder),
            "old_path": old.removeprefix(folder) if old != new else None,
            "status": STATUS.get(code[:1], code),
            "additions": sum(1 for line in lines if line.startswith("+") and not line.startswith("+++")),
            "deletions": sum(1 for line in lines if line.startswith("-") and not line.startswith("---")),
            "binary": binary,
            "truncated": truncated,
            "patch": text[:MAX_PATCH_CHARS],
        })
    tree = git.out("ls-tree", "-r", "--name-only", "-z", sha, "--", folder).split("\0")
    return {
        "commit": meta[0], "short": meta[0][:7], "author": meta[1], "email": meta[2], "date": meta[3],
        "parents": meta[4].split(), "message": meta[5].strip(), "files": files,
        "tree": sorted(p.removeprefix(folder) for p in tree if p),
        "is_head": meta[0] == git.last_commit(config.name),
    }


def _relative_path(path: str) -> str:
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path or "\0" in path:
        raise InvalidInput("invalid path", "a path inside the service's folder, e.g. compose.yaml")
    return str(pure)


def file_at(core: Core, service_id: str, ref: str, path: str = COMPOSE_FILE) -> dict[str, Any]:
    """A file of the service's folder as it was at a commit (text only)."""
    config = managed_config(core, service_id)
    git = git_repo(core)
    sha = _commit(git, ref)
    relative = _relative_path(path)
    spec = f"{sha}:{config.name}/{relative}"
    kind = git.run("cat-file", "-t", spec, check=False)
    if kind.returncode != 0 or kind.stdout.strip() != "blob":
        raise NotFound("file not found", f"{config.name}/{relative} did not exist at {sha[:7]}")
    size = int(git.out("cat-file", "-s", spec))
    if size > MAX_FILE_BYTES:
        raise InvalidInput("file too large to show", f"{relative} has {size} bytes")
    try:
        blob = git.run("cat-file", "blob", spec).stdout
    except UnicodeDecodeError as exc:
        raise InvalidInput("not a text file", f"{relative} at {sha[:7]} is not UTF-8 text") from exc
    return {"commit": sha, "path": relative, "size": size, "content": blob}


def restore(core: Core, service_id: str, ref: str, *, actor: Actor | None, if_match: str | None,
            confirm_move: bool = False) -> dict[str, Any]:
    """compose.yaml as it was at `ref`, saved and applied as a new commit through the update path."""
    config = managed_config(core, service_id)
    old = file_at(core, config.id, ref, COMPOSE_FILE)
    if old["content"] == core.stacks.read(config.name):
        raise Conflict("nothing to restore", f"compose.yaml is already as it was at {old['commit'][:7]}")
    definition = services.Definition.from_yaml(old["content"], config.name, max_nodes=core.settings.yaml_max_nodes)
    return services.update_service(core, config.id, actor=actor, definition=definition, if_match=if_match,
                                   restore_of=old["commit"], confirm_move=confirm_move)
