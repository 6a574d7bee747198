"""Tag policies: version parsing and candidate choice (pure functions), and x-sdmd validation."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.updates.policy import Policy, choose, parse_version, validate
from sdmd.updates.release import compare_url, github_repo, release_info
from tests.updates.support import TAGS

MORE = (*TAGS, "1.0.0-alpine", "1.1.0-alpine", "1.2-alpine", "1.3-alpine", "1.3", "1.27", "1.28", "1.27.1",
        "1.27.3", "1.28.0", "v1.0.0", "v1.2.0", "20240501", "1.2.0-rc1-alpine", "1.1.1-beta.2", "sha-abc123")


@pytest.mark.parametrize(("update", "current", "expected"), [
    ("patch", "1.0.0", "1.0.1"),
    ("minor", "1.0.0", "1.1.0"),
    ("major", "1.0.0", "2.0.0"),
    ("major", "2.0.0", None),
    ("digest", "1.0.0", None),
    ("off", "1.0.0", None),
    ("minor", "1.0.0-alpine", "1.1.0-alpine"),  # the suffix is kept...
    ("major", "1.0.0-alpine", "2.0.0-alpine"),
    ("minor", "1.2-alpine", "1.3-alpine"),  # ...never 1.3
    ("minor", "1.27", "1.28"),  # the precision too: 1.27 never becomes 1.28.0
    ("patch", "1.27.1", "1.27.3"),
    ("patch", "1.27", None),  # a two-number tag has no patch level to follow
    ("minor", "v1.0.0", "v1.2.0"),  # and the v prefix
    ("minor", "latest", None),  # not a version
    ("major", "1.1.0-rc1", "2.0.0"),  # a pre-release moves on to releases
])
def test_choose(update, current, expected):
    # The tag set where the current tag is in it, a wider one for suffixes and precision.
    tags = TAGS if current in TAGS else MORE
    assert choose(Policy(update=update), current, list(tags)) == expected


def test_pre_releases_only_when_asked():
    tags = ["1.0.0", "1.1.0-rc1", "1.1.0-rc2", "1.1.0-rc10"]
    assert choose(Policy(update="minor"), "1.0.0", tags) is None
    assert choose(Policy(update="minor", prerelease=True), "1.0.0", tags) == "1.1.0-rc10"  # rc10 > rc9 > rc2
    assert choose(Policy(update="minor", prerelease=True), "1.0.0", [*tags, "1.1.0"]) == "1.1.0"  # release > rc


def test_regex_and_exclude():
    assert choose(Policy(update="regex", include=r"^1\.\d+\.\d+$"), "1.0.0", list(TAGS)) == "1.1.0"
    assert choose(Policy(update="regex", include=r"alpine$"), "1.0.0", list(TAGS)) == "2.0.0-alpine"
    assert choose(Policy(update="major", exclude=r"^2\."), "1.0.0", list(TAGS)) == "1.1.0"


def test_parse_version():
    assert parse_version("1.1.0-rc1").pre == "rc1" and parse_version("1.1.0-rc1").suffix == ""
    assert parse_version("2.0.0-alpine").pre is None and parse_version("2.0.0-alpine").suffix == "alpine"
    v = parse_version("1.2.0-rc1-alpine")
    assert (v.nums, v.pre, v.suffix) == ((1, 2, 0), "rc1", "alpine")
    assert parse_version("1.2.3rc1").pre == "rc1"
    for tag in ("latest", "stable", "20240501", "sha-abc", "1.2.3.Final", "1.2-"):
        assert parse_version(tag) is None, tag


def doc(image: str, sdmd) -> dict:
    return {"services": {"web": {"image": image, "x-sdmd": sdmd}}}


@pytest.mark.parametrize(("image", "sdmd", "message"), [
    ("nginx:1.27.1", {"update": "newest"}, "'newest' is not one of digest, patch, minor, major, regex, off"),
    ("nginx:1.27.1", {"update": "regex"}, "update: regex needs include"),
    ("nginx:1.27.1", {"update": "regex", "include": "("}, "invalid regular expression"),
    ("nginx:1.27.1", {"update": "digest", "include": "^1"}, "needs a tag policy"),
    ("nginx:1.27.1", {"update": "minor", "prerelease": "yes"}, "prerelease must be true or false"),
    ("nginx:latest", {"update": "minor"}, "needs a version tag such as 1.2.3; nginx:latest has tag latest"),
    ("nginx", {"update": "patch"}, "has tag latest"),
    ("nginx@sha256:" + "a" * 64, {"update": "minor"}, "pinned by digest"),
    ("nginx:1.27.1", "minor", "must be a mapping"),
])
def test_invalid_policies_are_refused_naming_the_key(image, sdmd, message):
    with pytest.raises(InvalidInput) as caught:
        validate(doc(image, sdmd))
    assert message in caught.value.details and "services.web.x-sdmd" in caught.value.details


def test_valid_policies_pass():
    validate(doc("nginx:1.27.1", {"update": "minor", "exclude": "-rc", "prerelease": False}))
    validate(doc("nginx:latest", {"update": "regex", "include": r"^\d+$"}))
    validate(doc("${IMAGE}", {"update": "minor"}))  # a variable: checked when it runs
    validate({"services": {"web": {"image": "nginx:1.27.1", "x-sdmd": {"update": "minor", "someday": 1}}}})


def test_release_links():
    for source in ("https://github.com/o/r", "https://github.com/o/r.git", "git@github.com:o/r.git",
                   "git+https://github.com/o/r/"):
        assert github_repo(source) == "https://github.com/o/r", source
    assert github_repo("https://gitlab.com/o/r") is None
    info = release_info({"org.opencontainers.image.version": "1.2.3",
                         "org.opencontainers.image.source": "https://github.com/o/r"}, "2026-01-01T00:00:00Z")
    assert info["release_notes"] == "https://github.com/o/r/releases/tag/1.2.3"
    assert release_info({"org.opencontainers.image.source": "https://github.com/o/r"}, None)["release_notes"] == \
        "https://github.com/o/r/releases"
    assert compare_url({"source": "https://github.com/o/r", "revision": "a1"},
                       {"source": "https://github.com/o/r.git", "revision": "b2"}) == \
        "https://github.com/o/r/compare/a1...b2"
