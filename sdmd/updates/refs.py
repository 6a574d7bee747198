"""Image references as compose writes them: [registry[:port]/]path[:tag][@digest]."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """A digest never moves, so there is nothing to pull for it."""
        return self.digest is not None

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


def parse_ref(image: str) -> ImageRef:
    name, _, digest = image.partition("@")
    repository, tag = name, None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:  # a colon before the last slash is a registry port, not a tag
        repository, tag = name.rsplit(":", 1)
    return ImageRef(repository=repository, tag=tag or (None if digest else "latest"), digest=digest or None)
