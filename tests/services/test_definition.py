"""Definitions → compose documents, and round-trip edits that keep comments (no Docker needed)."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.services.definition import document_from_json, render, validate_name


def test_shorthand_becomes_one_service_named_like_the_service():
    doc = document_from_json({"name": "web", "image": "nginx:1", "ports": ["8080:80"]}, None)
    assert doc == {"name": "web", "services": {"web": {"image": "nginx:1", "ports": ["8080:80"]}}}


def test_multi_container_form_keeps_extra_keys_and_declares_named_volumes():
    doc = document_from_json({
        "name": "app",
        "services": {
            "db": {"image": "db:1", "volumes": ["dbdata:/var/lib/db", "./conf:/etc/conf:ro"],
                   "healthcheck": {"test": ["CMD", "true"]}},
            "web": {"image": "web:1", "depends_on": {"db": {"condition": "service_healthy"}}},
        },
    }, None)
    assert doc["services"]["db"]["healthcheck"] == {"test": ["CMD", "true"]}
    assert doc["volumes"] == {"dbdata": None}  # declared, the bind mount is not


@pytest.mark.parametrize("name", ["", "Web", "-web", "we b", "a" * 64, "web/x", None])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidInput):
        validate_name(name)


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "image"),
    ({"name": "x", "image": "a b"}, "image"),
    ({"name": "x", "image": "a", "restart": "sometimes"}, "restart"),
    ({"name": "x", "image": "a", "environment": "A=1"}, "environment"),
    ({"name": "x", "image": "a", "ports": "80"}, "ports"),
    ({"name": "x", "services": {}}, "services"),
    ({"name": "x", "services": {"web": {"image": "a"}}, "bogus": 1}, "bogus"),
])
def test_invalid_definitions_name_the_field(body, field):
    with pytest.raises(InvalidInput) as err:
        document_from_json(body, None)
    assert field in (err.value.details or "")


HAND_WRITTEN = """\
# The team's web stack
name: shop
services:
  web:
    image: "127.0.0.1:5000/web:1"   # pinned on purpose
    ports:
      - "8080:80"  # public port
    environment:
      MODE: prod
  # the database
  db:
    image: 'db:1'
"""


def test_render_merges_into_the_old_file_keeping_comments_order_and_quotes():
    new = {"name": "shop", "services": {
        "web": {"image": "127.0.0.1:5000/web:1", "ports": ["8080:80"], "environment": {"MODE": "debug"}},
        "db": {"image": "db:1"},
    }}
    text = render(new, HAND_WRITTEN)
    assert text == HAND_WRITTEN.replace("MODE: prod", "MODE: debug")


def test_render_removes_and_adds_keys():
    new = {"name": "shop", "services": {"web": {"image": "127.0.0.1:5000/web:1", "restart": "always"}}}
    text = render(new, HAND_WRITTEN)
    assert "# The team's web stack" in text and "# pinned on purpose" in text
    assert "db:" not in text and "ports" not in text
    assert "restart: always" in text
