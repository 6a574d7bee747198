"""Every corpus file through every edit over HTTP: PUT (the whole document as JSON) and PATCH (a merge
patch), both with dry_run=true, so `docker compose config` validates each result without running
images that are not in the local registry. A file becomes a service the way a hand-written file does:
put into the stacks folder (with the .env and env files compose needs to accept it) and reconciled in
manual mode (validated, mirrored, not started)."""

from __future__ import annotations

import pytest

from tests.fidelity.corpus import EDITS, corpus_files, load, make_edit, measure, read, stack_environment
from tests.gitops.helpers import commit_count

FILES = corpus_files()


def seed(client, core, name: str, text: str) -> str:
    folder = core.settings.stacks_dir / name
    folder.mkdir(parents=True)
    env, env_files = stack_environment(text)
    (folder / ".env").write_text(env)
    for env_file in env_files:
        (folder / env_file).parent.mkdir(parents=True, exist_ok=True)
        (folder / env_file).touch()
    with open(folder / "compose.yaml", "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    report = client.post("/api/gitops/reconcile").json()
    view = client.get(f"/api/services/{name}")
    assert view.status_code == 200, report  # compose config accepted the file as it is
    assert view.json()["compose"] == text
    return view.json()["id"]


@pytest.mark.parametrize("path", FILES, ids=[p.name.removesuffix(".yaml") for p in FILES])
def test_every_edit_over_http_is_minimal_and_compose_still_accepts_it(client, core, unique_name, path):
    text = read(path)
    name = unique_name("fid")
    service_id = seed(client, core, name, text)
    etag = client.get(f"/api/services/{service_id}").headers["etag"]
    commits = commit_count(core.settings.stacks_dir)
    doc = load(text)
    failures = []
    for kind in EDITS:
        edit = make_edit(kind, doc)
        if not edit.applicable:
            continue
        put = client.put(f"/api/services/{service_id}?dry_run=true", json={"name": name, **edit.document},
                         headers={"if-match": etag})
        patch = client.patch(f"/api/services/{service_id}?dry_run=true", json=edit.patch,
                             headers={"content-type": "application/merge-patch+json", "if-match": etag})
        for how, r in (("PUT", put), ("PATCH", patch)):
            assert r.status_code == 200, (kind, how, r.text)  # docker compose config accepts the result
            body = r.json()
            assert body["dry_run"] is True and body["base_hash"] == etag.strip('"')
            assert body["changed"] == (kind != "none") and bool(body["diff"]) == body["changed"]
            m = measure(text, body["compose"], edit)
            if not m.perfect:
                failures.append((kind, how, m))
    assert failures == []
    # dry runs wrote nothing: the file, the mirror, the history are as they were
    assert core.stacks.read(name) == text
    assert client.get(f"/api/services/{service_id}").json()["compose"] == text
    assert commit_count(core.settings.stacks_dir) == commits
    assert not [p for p in core.settings.stacks_dir.iterdir() if p.name.startswith(".draft-")]
