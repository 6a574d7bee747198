"""Every corpus file through every edit, straight through the engine (PUT's document and PATCH's patch)."""

from __future__ import annotations

import pytest

from sdmd.services.editing import apply_document, apply_merge_patch, document_of
from tests.fidelity.corpus import EDITS, corpus_files, load, make_edit, measure, read

FILES = corpus_files()


def test_the_corpus_is_there():
    assert len(FILES) == 69


@pytest.mark.parametrize("path", FILES, ids=[p.name.removesuffix(".yaml") for p in FILES])
def test_every_edit_changes_only_what_it_changes(path):
    text = read(path)
    doc = load(text)
    assert document_of(text) == doc  # sdmd reads the file as ruamel's own loader does
    failures = []
    for kind in EDITS:
        edit = make_edit(kind, doc)
        if not edit.applicable:
            continue
        for how, result in (("document", apply_document(text, edit.document)),
                            ("patch", apply_merge_patch(text, edit.patch))):
            m = measure(text, result, edit)
            if not m.perfect:
                failures.append((kind, how, m))
            if kind == "none":
                assert result == text
    assert failures == []
