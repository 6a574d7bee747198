"""Tag policies: the service-level `x-sdmd:` mapping beside `image:` in compose.yaml, and how a policy
picks the tag to move to among the registry's tags.

    services:
      web:
        image: nginx:1.27.1
        x-sdmd:
          update: minor          # digest (default) | patch | minor | major | regex | off
          include: '^1\\.'        # regex: required; other tag policies: an extra filter
          exclude: '-(rc|beta)'  # optional, any tag policy
          prerelease: false      # true: 1.3.0-rc1 counts as a candidate

Why in the file: it is where GitOps sees it (a reviewed, versioned change), compose ignores `x-`
keys, and they do not enter compose's config hash, so editing a policy never recreates a container.

A version tag is `[v]N[.N...][-pre][-suffix]`. A pre-release is a first hyphen part such as rc1,
beta.2, alpha; anything else after the numbers is a suffix (`alpine`, `bookworm`), which a candidate
must share exactly: `1.2-alpine` moves to `1.3-alpine`, never to `1.3`. Candidates also keep the
tag's precision (1.27 -> 1.28, 1.27.1 -> 1.27.3) and its `v` prefix. `patch` may change only the
third number and beyond, `minor` the second and beyond, `major` any; `regex` takes the newest
version tag the patterns allow, of any shape.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import total_ordering
from typing import Any

from sdmd.errors import InvalidInput

POLICIES = ("digest", "patch", "minor", "major", "regex", "off")
TAG_POLICIES = ("patch", "minor", "major", "regex")
KEYS = ("update", "include", "exclude", "prerelease")
# How many leading numbers a policy must keep: patch keeps major.minor, minor keeps major.
FIXED = {"patch": 2, "minor": 1, "major": 0, "regex": 0}

_VERSION = re.compile(r"^(?P<prefix>[vV]?)(?P<nums>\d+(?:\.\d+)*)(?P<rest>.*)$")
_PRE = re.compile(r"^(alpha|beta|rc|pre|preview|dev|snapshot|nightly|canary|next|a|b|m)[._]?\d*(\.\d+)*$",
                  re.IGNORECASE)


@dataclass(frozen=True)
class Policy:
    update: str = "digest"
    include: str | None = None
    exclude: str | None = None
    prerelease: bool = False

    @property
    def follows_tags(self) -> bool:
        return self.update in TAG_POLICIES

    def view(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT = Policy()


def _chunks(text: str) -> tuple[tuple[int, int | str], ...]:
    """rc10 > rc9: digits compare as numbers, letters as text (numbers sort first)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in re.findall(r"\d+|[A-Za-z]+", text))


@total_ordering
@dataclass(frozen=True)
class Version:
    tag: str
    prefix: str
    nums: tuple[int, ...]
    pre: str | None
    suffix: str

    @property
    def key(self) -> tuple[Any, ...]:
        # A release sorts after its pre-releases: 1.1.0-rc1 < 1.1.0.
        return (self.nums, (1,) if self.pre is None else (0, _chunks(self.pre)))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.key < other.key

    def same_shape(self, other: Version) -> bool:
        return (self.prefix.lower(), len(self.nums), self.suffix) == (other.prefix.lower(), len(other.nums),
                                                                      other.suffix)


def parse_version(tag: str) -> Version | None:
    """A version tag, or None (latest, stable, sha-abc, 2024-05-01...)."""
    m = _VERSION.match(tag)
    if not m:
        return None
    nums = tuple(int(n) for n in m["nums"].split("."))
    rest = m["rest"]
    pre, suffix = None, ""
    if rest.startswith("-"):
        first, _, others = rest[1:].partition("-")
        if _PRE.match(first):
            pre, suffix = first, others
        else:
            suffix = rest[1:]
        if not suffix and not pre:
            return None  # a trailing hyphen
    elif rest:
        if not _PRE.match(rest):  # 1.2.3rc1 is a pre-release; 1.2.3.Final or 20240501abc is not a version
            return None
        pre = rest
    if len(nums) == 1 and nums[0] >= 10000 and not m["prefix"]:
        return None  # 20240501: a date or a build number, not a version
    return Version(tag=tag, prefix=m["prefix"], nums=nums, pre=pre, suffix=suffix)


def choose(policy: Policy, current_tag: str, tags: list[str]) -> str | None:
    """The newest tag the policy allows that is newer than `current_tag`, or None."""
    if not policy.follows_tags:
        return None
    current = parse_version(current_tag)
    if current is None:
        return None
    include = re.compile(policy.include) if policy.include else None
    exclude = re.compile(policy.exclude) if policy.exclude else None
    fixed = FIXED[policy.update]
    best: Version | None = None
    for tag in tags:
        v = parse_version(tag)
        if v is None or v <= current:
            continue
        if v.pre is not None and not policy.prerelease:
            continue
        if (include and not include.search(tag)) or (exclude and exclude.search(tag)):
            continue
        if policy.update != "regex" and (not v.same_shape(current) or v.nums[:fixed] != current.nums[:fixed]):
            continue
        if best is None or v > best:
            best = v
    return best.tag if best else None


# -- reading and validating x-sdmd ------------------------------------------------------------------
def policy_of(spec: Any, path: str, problems: list[str]) -> Policy:
    """One service's policy; problems are appended (never raised) so all of them are reported at once."""
    raw = spec.get("x-sdmd") if isinstance(spec, dict) else None
    if raw is None:
        return DEFAULT
    if not isinstance(raw, dict):
        problems.append(f"{path}.x-sdmd must be a mapping, e.g. {{update: minor}}")
        return DEFAULT
    update = raw.get("update", "digest")
    if update not in POLICIES:
        problems.append(f"{path}.x-sdmd.update: {update!r} is not one of {', '.join(POLICIES)}")
        return DEFAULT
    patterns: dict[str, str | None] = {}
    for key in ("include", "exclude"):
        value = raw.get(key)
        if value is None:
            patterns[key] = None
            continue
        if not isinstance(value, str) or not value:
            problems.append(f"{path}.x-sdmd.{key} must be a regular expression (a string)")
        elif update not in TAG_POLICIES:
            problems.append(f"{path}.x-sdmd.{key} needs a tag policy (update: patch, minor, major or regex)")
        else:
            try:
                re.compile(value)
            except re.error as exc:
                problems.append(f"{path}.x-sdmd.{key}: invalid regular expression {value!r}: {exc}")
        patterns[key] = value if isinstance(value, str) else None
    if update == "regex" and not patterns["include"]:
        problems.append(f"{path}.x-sdmd: update: regex needs include: '<pattern>'")
    prerelease = raw.get("prerelease", False)
    if not isinstance(prerelease, bool):
        problems.append(f"{path}.x-sdmd.prerelease must be true or false")
        prerelease = False
    return Policy(update=update, include=patterns["include"], exclude=patterns["exclude"], prerelease=prerelease)


def file_policies(doc: Any) -> tuple[dict[str, Policy], list[str]]:
    """{compose service: policy} from a parsed compose document, and the problems found."""
    problems: list[str] = []
    policies: dict[str, Policy] = {}
    services = doc.get("services") if isinstance(doc, dict) else None
    for name, spec in (services or {}).items():
        path = f"services.{name}"
        policy = policy_of(spec, path, problems)
        image = spec.get("image") if isinstance(spec, dict) else None
        if policy.follows_tags and isinstance(image, str) and "$" not in image:
            tag = _tag_of(image)
            if tag is None:
                problems.append(f"{path}.x-sdmd.update: {policy.update} needs a tag on the image; {image} is "
                                f"pinned by digest")
            elif policy.update != "regex" and parse_version(tag) is None:
                problems.append(f"{path}.x-sdmd.update: {policy.update} needs a version tag such as 1.2.3; "
                                f"{image} has tag {tag}")
        policies[str(name)] = policy
    return policies, problems


def validate(doc: Any) -> None:
    """Refuse a compose document whose x-sdmd policies cannot work (422 naming every problem)."""
    _, problems = file_policies(doc)
    if problems:
        raise InvalidInput("invalid x-sdmd update policy", "; ".join(problems))


def _tag_of(image: str) -> str | None:
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"
