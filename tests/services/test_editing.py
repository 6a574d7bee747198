"""The minimal-edit engine on files made for its hard cases (no Docker needed): exact bytes out."""

from __future__ import annotations

import time

import pytest
from ruamel.yaml import YAML

from sdmd.errors import InvalidInput
from sdmd.services.editing import apply_document, apply_merge_patch, document_of, merge_patch


def meaning(text: str):
    return YAML(typ="safe", pure=True).load(text)


FOUR_SPACES = """\
services:
    web:
        image: nginx:1.27.1
        ports:
        - "8080:80"
        environment:
            MODE: prod
    db:
        image: postgres:16
"""


def test_a_four_space_file_with_unindented_sequences_keeps_its_layout():
    text = apply_merge_patch(FOUR_SPACES, {"services": {
        "web": {"ports": ["8080:80", "8443:443"], "environment": {"TZ": "UTC"}, "volumes": ["./a:/a"],
                "healthcheck": {"test": ["CMD", "true"], "interval": "5s"}},
        "cache": {"image": "redis:7"}}})
    assert text == """\
services:
    web:
        image: nginx:1.27.1
        ports:
        - "8080:80"
        - "8443:443"
        environment:
            MODE: prod
            TZ: UTC
        volumes:
        - ./a:/a
        healthcheck:
            test:
            - CMD
            - "true"
            interval: 5s
    db:
        image: postgres:16
    cache:
        image: redis:7
"""


SHARED = """\
x-defaults: &defaults
  restart: unless-stopped   # every service
  logging:
    driver: json-file

services:
  web:
    <<: *defaults
    image: web:1
  api:
    <<: *defaults
    image: api:1
  worker:
    <<: *defaults
    image: worker:1
"""


def test_an_edit_to_one_user_of_a_merge_key_is_an_override_beside_it():
    text = apply_merge_patch(SHARED, {"services": {"api": {"restart": "always"}}})
    assert text == SHARED.replace("    image: api:1\n", "    image: api:1\n    restart: always\n")
    doc = meaning(text)
    assert doc["services"]["api"]["restart"] == "always"
    assert doc["services"]["web"]["restart"] == doc["services"]["worker"]["restart"] == "unless-stopped"


def test_a_nested_change_under_a_merge_key_copies_only_that_key():
    text = apply_merge_patch(SHARED, {"services": {"worker": {"logging": {"driver": "local"}}}})
    assert text == SHARED.replace("    image: worker:1\n", "    image: worker:1\n    logging:\n      driver: local\n")


def test_removing_a_merged_key_writes_the_merge_out_for_that_user_only():
    text = apply_merge_patch(SHARED, {"services": {"web": {"logging": None}}})
    assert text == SHARED.replace("""\
  web:
    <<: *defaults
    image: web:1
""", """\
  web:
    image: web:1
    restart: unless-stopped
""")
    assert meaning(text)["services"]["api"]["logging"] == {"driver": "json-file"}


def test_changing_the_anchor_itself_keeps_every_user_meaning_what_the_document_says():
    # A document where x-defaults changes but the services keep their old values: they get overrides.
    doc = document_of(SHARED)
    doc["x-defaults"]["restart"] = "always"
    text = apply_document(SHARED, doc)
    assert meaning(text) == doc
    # ...and one where everyone changes with it: only the anchor's line changes.
    for svc in doc["services"].values():
        svc["restart"] = "always"
    assert apply_document(SHARED, doc) == SHARED.replace("restart: unless-stopped", "restart: always")


ALIASES = """\
x-env: &env
  TZ: UTC
  LOG: info
services:
  a:
    image: a:1
    environment: *env
  b:
    image: b:1
    environment: *env
"""


def test_an_unchanged_alias_stays_an_alias_and_a_changed_one_gets_an_override():
    text = apply_merge_patch(ALIASES, {"services": {"b": {"environment": {"LOG": "debug"}}}})
    assert text == ALIASES.replace("""\
    image: b:1
    environment: *env
""", """\
    image: b:1
    environment:
      <<: *env
      LOG: debug
""")
    text = apply_merge_patch(ALIASES, {"services": {"b": {"environment": {"LOG": None}}}})
    assert "    environment: *env\n  b:" in text and meaning(text)["services"]["b"]["environment"] == {"TZ": "UTC"}
    assert apply_merge_patch(ALIASES, {"services": {"a": {"image": "a:2"}}}) == ALIASES.replace("a:1", "a:2")


COMMENTED_OUT = """\
services:
  web:
    image: web:1
    # ports:
    #   - 80:80

  # db:
  #   image: postgres:16

  # the cache, shared by web
  cache:
    image: redis:7
"""


def test_removing_a_service_leaves_the_commented_out_service_after_it():
    text = apply_merge_patch(COMMENTED_OUT, {"services": {"web": None}})
    assert text == """\
services:
  # db:
  #   image: postgres:16

  # the cache, shared by web
  cache:
    image: redis:7
"""


def test_removing_the_last_service_takes_its_own_comment_and_one_blank_run():
    text = apply_merge_patch(COMMENTED_OUT, {"services": {"cache": None}})
    assert text == """\
services:
  web:
    image: web:1
    # ports:
    #   - 80:80

  # db:
  #   image: postgres:16
"""


def test_new_keys_go_after_the_last_child_before_what_introduces_the_next_node():
    text = apply_merge_patch(COMMENTED_OUT, {"services": {"web": {"restart": "always"}, "new": {"image": "n:1"}}})
    assert text == """\
services:
  web:
    image: web:1
    # ports:
    #   - 80:80
    restart: always

  # db:
  #   image: postgres:16

  # the cache, shared by web
  cache:
    image: redis:7
  new:
    image: n:1
"""


def test_crlf_line_ends_are_kept_and_new_lines_get_them_too():
    text = SHARED.replace("\n", "\r\n")
    out = apply_merge_patch(text, {"services": {"web": {"image": "web:2"}, "new": {"image": "n:1"}}})
    assert out == text.replace("web:1", "web:2") + "  new:\r\n    image: n:1\r\n"


def test_a_file_without_a_last_line_end_stays_without_one():
    text = COMMENTED_OUT.rstrip("\n")
    assert apply_merge_patch(text, {"services": {"cache": {"image": "redis:8"}}}) == text.replace("7", "8")
    out = apply_merge_patch(text, {"services": {"new": {"image": "n:1"}}})
    assert out == text + "\n  new:\n    image: n:1"
    assert apply_merge_patch(text, {"services": {"cache": None}}).endswith("#   image: postgres:16")


def test_a_bom_is_kept():
    text = "\ufeff" + SHARED
    out = apply_merge_patch(text, {"services": {"web": {"image": "web:2"}}})
    assert out == text.replace("web:1", "web:2")
    assert document_of(text)["services"]["web"]["image"] == "web:1"


def test_tabs_in_comments_and_trailing_spaces_survive():
    text = ("services:   \n  web:  # the\tfront end\n    image: web:1 \t# pinned\t\n\t# a\ttab-indented note\n"
            "\n  \n  db:\n    image: db:1\n")
    out = apply_merge_patch(text, {"services": {"db": {"image": "db:2"}, "web": {"init": True}}})
    assert out == ("services:   \n  web:  # the\tfront end\n    image: web:1 \t# pinned\t\n    init: true\n"
                   "\t# a\ttab-indented note\n\n  \n  db:\n    image: db:2\n")


def test_values_keep_their_quoting_and_new_ones_look_like_their_siblings():
    text = """\
services:
  web:
    image: 'web:1'
    environment:
      A: "1"
      B: "two"
    ports: ["80:80"]   # flow style stays flow
    command: [httpd, -f]
"""
    out = apply_merge_patch(text, {"services": {"web": {
        "image": "web:2", "environment": {"B": "three", "C": "x"}, "ports": ["80:80", "443:443"],
        "command": ["httpd", "-f", "-v"]}}})
    assert out == """\
services:
  web:
    image: 'web:2'
    environment:
      A: "1"
      B: "three"
      C: "x"
    ports: ["80:80", "443:443"]   # flow style stays flow
    command: [httpd, -f, -v]
"""


def test_a_string_that_would_read_back_as_something_else_is_quoted():
    out = apply_merge_patch("services:\n  web:\n    image: a\n", {"services": {"web": {
        "environment": {"ON": "yes", "N": "0777", "T": "true", "E": "", "S": "a: b", "H": "#x"}}}})
    env = meaning(out)["services"]["web"]["environment"]
    assert env == {"ON": "yes", "N": "0777", "T": "true", "E": "", "S": "a: b", "H": "#x"}
    assert '"ON": "yes"' in out  # YAML 1.1 readers take ON and yes for booleans: both quoted


def test_block_scalars_are_replaced_in_their_own_style():
    text = "services:\n  web:\n    image: a\n    command: |\n      echo one\n      echo two\n    init: true\n"
    out = apply_merge_patch(text, {"services": {"web": {"command": "echo three\n"}}})
    assert out == "services:\n  web:\n    image: a\n    command: |\n      echo three\n    init: true\n"


def test_a_sequence_item_changes_alone_with_its_comment():
    text = "services:\n  web:\n    image: a\n    ports:\n      - 80:80     # http\n      - 443:443   # https\n"
    out = apply_merge_patch(text, {"services": {"web": {"ports": ["80:80", "8443:443"]}}})
    assert out == text.replace("- 443:443", "- 8443:443")
    out = apply_merge_patch(text, {"services": {"web": {"ports": ["443:443"]}}})
    assert out == "services:\n  web:\n    image: a\n    ports:\n      - 443:443   # https\n"


def test_merge_patch_is_rfc_7396():
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == \
        {"a": "z", "c": {"d": "e"}}
    assert merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert merge_patch({"a": "b"}, {"a": {"c": 1}}) == {"a": {"c": 1}}
    assert merge_patch({"a": 1}, {}) == {"a": 1}


def test_no_change_is_byte_for_byte_the_same_object():
    assert apply_document(SHARED, document_of(SHARED)) is SHARED
    assert apply_merge_patch(COMMENTED_OUT, {}) is COMMENTED_OUT


def test_an_alias_bomb_is_refused_at_once():
    levels = ["a0: &a0 [" + ", ".join(["lol"] * 10) + "]"]
    for i in range(1, 9):  # 10**9 nodes expanded
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "x-bomb:\n" + "".join(f"  {line}\n" for line in levels) + "services:\n  web:\n    image: a\n"
    started = time.monotonic()
    with pytest.raises(InvalidInput) as err:
        apply_merge_patch(bomb, {"services": {"web": {"image": "b"}}})
    assert time.monotonic() - started < 1
    assert "SDMD_YAML_MAX_NODES" in err.value.details


def test_a_duplicate_key_is_refused_like_compose_does():
    with pytest.raises(InvalidInput, match="duplicate"):
        document_of("services:\n  web:\n    image: a\n    image: b\n")


def test_removing_an_anchor_definition_gives_its_users_their_own_copies():
    doc = document_of(SHARED)
    del doc["x-defaults"]
    text = apply_document(SHARED, doc)
    assert meaning(text) == doc and "*defaults" not in text and "&defaults" not in text
    assert text.startswith("services:\n  web:\n    image: web:1\n    restart: unless-stopped\n")


def test_an_anchor_that_stops_being_a_mapping_does_not_break_its_merges():
    doc = document_of(SHARED)
    doc["x-defaults"] = "gone"
    text = apply_document(SHARED, doc)
    assert meaning(text) == doc
    assert text.startswith("x-defaults: &defaults gone\n")


def test_a_block_scalar_that_keeps_its_line_ends_is_replaced_whole():
    text = "services:\n  web:\n    image: a\n    command: |+\n      one\n\n    init: true\n"
    out = apply_merge_patch(text, {"services": {"web": {"command": "two\n\n"}}})
    assert out == text.replace("one", "two")
    out = apply_merge_patch(text, {"services": {"web": {"command": "two\n"}}})
    assert out == "services:\n  web:\n    image: a\n    command: |\n      two\n    init: true\n"
