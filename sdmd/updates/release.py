"""Release information from OCI image labels, and links derived from a GitHub source (never fetched)."""

from __future__ import annotations

import re
from typing import Any

VERSION = "org.opencontainers.image.version"
SOURCE = "org.opencontainers.image.source"
URL = "org.opencontainers.image.url"
REVISION = "org.opencontainers.image.revision"

_GITHUB = re.compile(r"^(?:git\+)?(?:https?://|ssh://git@|git@)(?:www\.)?github\.com[/:]"
                     r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?(?:[#?].*)?$")


def github_repo(source: str | None) -> str | None:
    """https://github.com/owner/repo for a GitHub source label in any of its usual spellings."""
    m = _GITHUB.match(source or "")
    return f"https://github.com/{m['owner']}/{m['repo']}" if m else None


def release_info(labels: dict[str, Any], created: str | None) -> dict[str, Any]:
    version, source = labels.get(VERSION), labels.get(SOURCE)
    repo = github_repo(source)
    notes = None
    if repo:
        notes = f"{repo}/releases/tag/{version}" if version else f"{repo}/releases"
    return {"created": created, "version": version, "source": source, "url": labels.get(URL),
            "revision": labels.get(REVISION), "release_notes": notes}


def compare_url(current: dict[str, Any], candidate: dict[str, Any]) -> str | None:
    """GitHub's compare view between two revisions of the same source repository."""
    repo = github_repo(current.get("source"))
    if repo and repo == github_repo(candidate.get("source")) and current.get("revision") and candidate.get("revision") \
            and current["revision"] != candidate["revision"]:
        return f"{repo}/compare/{current['revision']}...{candidate['revision']}"
    return None
