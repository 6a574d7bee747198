"""Random documents made from every corpus file (fixed seeds): whatever the edit, the result means exactly
the document, or the edit is refused; it never writes a file that means something else."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from sdmd.errors import InvalidInput
from sdmd.services.editing import apply_document
from tests.fidelity.corpus import corpus_files, load, read

FILES = corpus_files()
VALUES: list[Any] = ["x", "yes", "12", 12, 1.5, True, None, "a: b", "#c", "multi\nline\n", {}, [],
                     {"k": "v", "n": {"a": 1}}, ["p", "q"], [{"a": 1, "b": [1, 2]}], "it's", '"q"', "", " lead",
                     "${VAR:-x}"]


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found.extend(_paths(value, (*path, key)))
    return found


def _mutate(doc: dict[str, Any], rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return
        path = rng.choice(paths)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        target, roll = parent[path[-1]], rng.random()
        if roll < 0.4:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        elif roll < 0.7:
            parent.pop(path[-1])
        elif isinstance(target, dict):
            target[f"new{rng.randint(0, 9)}"] = copy.deepcopy(rng.choice(VALUES))
        elif isinstance(target, list):
            target.insert(rng.randint(0, len(target)), copy.deepcopy(rng.choice(VALUES)))


@pytest.mark.parametrize("path", FILES, ids=[p.name.removesuffix(".yaml") for p in FILES])
def test_random_edits_mean_exactly_the_document(path):
    text = read(path)
    base = load(text)
    rng = random.Random(path.name)
    refused = 0
    for _ in range(12):
        doc = copy.deepcopy(base)
        _mutate(doc, rng)
        try:
            result = apply_document(text, doc)
        except InvalidInput:
            refused += 1
            continue
        assert load(result) == doc
    assert refused == 0  # none of these needs refusing (fuzzed with 10,000 more while building the engine)
