"""Definitions → compose documents, and edits that keep comments (no Docker needed)."""

from __future__ import annotations

import pytest

from sdmd.errors import InvalidInput
from sdmd.services.definition import document_from_json, validate_name, warnings_for
from sdmd.services.editing import apply_document


def test_shorthand_becomes_one_service_named_like_the_service():
    name, doc = document_from_json({"name": "web", "image": "nginx:1", "ports": ["8080:80"]}, None)
    # the stack's name is its folder (compose -p), not a `name:` written into the file
    assert (name, doc) == ("web", {"services": {"web": {"image": "nginx:1", "ports": ["8080:80"]}}})


def test_multi_container_form_keeps_extra_keys_and_declares_named_volumes():
    _, doc = document_from_json({
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
    ({"name": "x", "services": {"web": {"image": "a"}}, "name_": 1}, "name_"),
    ({"name": "x", "services": {"web": "a"}}, "services.web"),
])
def test_invalid_definitions_name_the_field(body, field):
    with pytest.raises(InvalidInput) as err:
        document_from_json(body, None)
    assert field in (err.value.details or "")


@pytest.mark.parametrize("body", [
    {"name": "x", "version": "3.8", "services": {"web": {"image": "a"}}},  # obsolete, compose warns only
    {"name": "x", "services": {"web": {"image": "a", "restart": "${RESTART:-unless-stopped}"}}},
    {"name": "x", "services": {"initContainer": {"image": "a"}, "Web_2.x": {"image": "b"}}},
    {"name": "x", "services": {"web": {"extends": {"file": "base.yaml", "service": "web"}}}},
    {"name": "x", "include": ["other.yaml"], "services": {"web": {"build": "."}}, "x-anything": {"a": 1}},
])
def test_what_compose_accepts_is_not_refused(body):
    name, doc = document_from_json(body, None)
    assert name == "x" and doc["services"] == body["services"]


def test_version_is_a_warning():
    assert warnings_for("version: '3.8'\nservices: {}\n") and "obsolete" in warnings_for("version: '3'\n")[0]
    assert warnings_for("services:\n  web:\n    environment:\n      version: 1\n") == []


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


def test_an_edit_changes_only_its_value_keeping_comments_order_and_quotes():
    new = {"name": "shop", "services": {
        "web": {"image": "127.0.0.1:5000/web:1", "ports": ["8080:80"], "environment": {"MODE": "debug"}},
        "db": {"image": "db:1"},
    }}
    assert apply_document(HAND_WRITTEN, new) == HAND_WRITTEN.replace("MODE: prod", "MODE: debug")


def test_removing_and_adding_keys_touches_only_their_lines():
    new = {"name": "shop", "services": {"web": {"image": "127.0.0.1:5000/web:1", "restart": "always"}}}
    assert apply_document(HAND_WRITTEN, new) == """\
# The team's web stack
name: shop
services:
  web:
    image: "127.0.0.1:5000/web:1"   # pinned on purpose
    restart: always
"""
