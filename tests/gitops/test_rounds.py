"""Every reconcile round is kept with its errors, so the GitOps page can show the last one."""

from __future__ import annotations

from sdmd.gitops import rounds
from sdmd.gitops.reconcile import reconcile
from sdmd.gitops.service import redact_url
from tests.gitops.helpers import sleeper_yaml


def test_rounds_are_kept_with_their_errors_newest_first(client, core, unique_name):
    stacks = core.settings.stacks_dir
    good, bad = unique_name("good"), unique_name("bad")
    (stacks / good).mkdir(parents=True)
    (stacks / good / "compose.yaml").write_text(sleeper_yaml(good))
    (stacks / bad).mkdir()
    (stacks / bad / "compose.yaml").write_text("services:\n  app:\n    imagee: nope\n")

    r = client.post("/api/gitops/reconcile")
    assert r.status_code == 200, r.text
    status = client.get("/api/gitops/status").json()
    last = status["last_round"]
    assert last == status["rounds"][0] and last["trigger"] == "api" and last["scope"] is None
    assert len(last["commits"]) == 2  # each folder committed as found
    assert {(s["name"], s["action"]) for s in last["stacks"]} == {(good, "created"), (bad, "invalid")}
    [error] = last["errors"]
    assert error["stack"] == bad and "imagee" in error["error"]
    assert last["finished_at"] >= last["started_at"]
    # The invalid folder is also among the stacks needing attention, typed.
    assert [(s["name"], s["state"]) for s in status["stacks"]] == [(bad, "error")]

    # A round of only the watcher's folders, with nothing to do: recorded too, without errors.
    reconcile(core, names=[good], remote_sync=False, trigger="watch")
    newest = client.get("/api/gitops/status").json()["last_round"]
    assert newest["trigger"] == "watch" and newest["scope"] == [good] and newest["errors"] == []
    assert newest["id"] > last["id"]


def test_only_the_latest_rounds_are_kept(core, monkeypatch):
    monkeypatch.setattr(rounds, "KEEP", 3)
    for _ in range(5):
        reconcile(core, trigger="cli")
    kept = rounds.latest(core, limit=10)
    assert len(kept) == 3 and [r["id"] for r in kept] == sorted((r["id"] for r in kept), reverse=True)


def test_remote_url_credentials_are_not_shown():
    assert redact_url("https://bot:ghp_secret@git.example.com/ops/stacks.git") == \
        "https://bot:••••••@git.example.com/ops/stacks.git"
    assert redact_url("ssh://git@host:2222/x.git") == "ssh://git@host:2222/x.git"
    assert redact_url("/srv/git/stacks.git") == "/srv/git/stacks.git"
