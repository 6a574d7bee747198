"""Host URLs and x-sdmd.host in compose files (no Docker needed)."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.hosts.urls import parse
from sdmd.services.changes import Definition
from sdmd.services.definition import parse_yaml
from sdmd.services.placement import host_of_text, with_host


@pytest.mark.parametrize(("url", "kind", "normalised"), [
    ("unix:///var/run/docker.sock", "unix", "unix:///var/run/docker.sock"),
    ("ssh://deploy@Web1.Example.com", "ssh", "ssh://deploy@web1.example.com"),
    ("ssh://root@10.0.0.2:2222", "ssh", "ssh://root@10.0.0.2:2222"),
    ("ssh://root@10.0.0.2:22", "ssh", "ssh://root@10.0.0.2"),
    ("tcp://10.0.0.5:2376", "tcp", "tcp://10.0.0.5:2376"),
    ("tcp://[fd00::5]:2376", "tcp", "tcp://[fd00::5]:2376"),
])
def test_urls_that_are_accepted(url, kind, normalised):
    parsed = parse(url)
    assert (parsed.kind, parsed.url) == (kind, normalised)


@pytest.mark.parametrize("url", ["", "http://h:2375", "https://h", "file:///x", "garbage", "tcp://h", "tcp://h:0",
                                 "tcp://u@h:2376", "ssh://-oProxyCommand=x", "ssh://-l@h", "ssh://h/path",
                                 "ssh://h?x=1", "unix://", "unix://rel", "tcp://h :2376", "ssh://a b@h",
                                 "ssh://u:p@h", "tcp://h:99999", "tcp://[", "ssh://[::1", "tcp://[]:2376"])
def test_urls_that_are_refused(url):
    with pytest.raises(InvalidInput) as caught:
        parse(url)
    assert caught.value.message == "invalid host URL"


def test_the_json_host_is_written_as_x_sdmd_host_and_kept_by_json_updates():
    created = Definition.from_json({"name": "web", "image": "nginx:1", "host": "edge"}).text(None)
    assert host_of_text(created) == "edge"
    assert created.startswith("x-sdmd:\n  host: edge\n")  # where a reader looks first
    assert "host" not in parse_yaml(created)["services"]["web"]  # not a compose key of the container
    updated = Definition.from_json({"image": "nginx:2"}, "web").text(created)
    assert host_of_text(updated) == "edge" and "nginx:2" in updated
    moved = Definition.from_json({"image": "nginx:2", "host": "local"}, "web").text(created)
    assert host_of_text(moved) == "local" and "x-sdmd" not in moved  # no key means local
    # Other x-sdmd keys of the file stay when only the host changes.
    extra = "x-sdmd:\n  host: edge\n  owner: ops  # team\nservices:\n  web:\n    image: nginx:1\n"
    other = Definition.from_json({"image": "nginx:1", "host": "far"}, "web").text(extra)
    assert other == extra.replace("host: edge", "host: far")
    with pytest.raises(InvalidInput):
        Definition.from_json({"name": "web", "image": "nginx:1", "host": "Bad Host"})
    with pytest.raises(InvalidInput):
        Definition.from_json({"name": "w", "services": {"a": {"image": "x"}}, "host": "a", "x-sdmd": {"host": "b"}})


def test_with_host_keeps_the_rest_of_the_file():
    text = "# my stack\nname: web\nservices:\n  app:\n    image: nginx:1  # pinned\n"
    moved = with_host(text, "edge")
    assert host_of_text(moved) == "edge"
    assert "# my stack" in moved and "# pinned" in moved
    assert moved.startswith(text)  # a minimal edit: the file as it was, plus the new key
    assert with_host(moved, "local") == text
    assert host_of_text("services:\n  app:\n    image: x\n") == "local"
    with pytest.raises(InvalidInput):
        host_of_text("x-sdmd: edge\nservices:\n  app:\n    image: x\n")
