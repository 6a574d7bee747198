"""A watch round (reconcile of the few folders that changed) reads only those stacks: no scan of every
folder, no rows of every service (issue 19 §2: create must not cost more with more services). No Docker."""

from __future__ import annotations

from sdmd.gitops import reconcile
from sdmd.gitops import repository as gitops_repo
from sdmd.gitops.context import git_repo
from sdmd.gitops.hooks import annotate
from sdmd.services.definition import content_hash
from sdmd.services.models import DockerServiceConfig

TEXT = "services:\n  app:\n    image: 127.0.0.1:5000/sdmd-test/app:1\n"


def _settled_stack(core, name: str) -> None:
    core.stacks.write(name, TEXT)
    with core.db.session() as session:
        session.add(DockerServiceConfig(id=f"svc_{name}", name=name, compose_text=TEXT,
                                        content_hash=content_hash(TEXT), host="local"))
        session.flush()
        row = gitops_repo.get_or_create(session, name)
        row.service_id = f"svc_{name}"
        row.applied_hash = row.hashes_for = content_hash(TEXT)
        row.service_hashes = {"app": {"hash": "h", "image": "127.0.0.1:5000/sdmd-test/app:1"}}


def test_scratch_owners_among_names_looks_only_in_those_folders(core):
    for name in ("one", "two", "three"):
        core.stacks.write(name, TEXT)
    (core.stacks.directory("one") / ".compose.abc.tmp").write_text("half")
    (core.stacks.directory("two") / ".compose.def.tmp").write_text("half")
    (core.stacks.root / ".draft-three-abcdefgh").mkdir()
    assert core.stacks.scratch_owners() == {"one", "two", "three"}
    assert core.stacks.scratch_owners({"one", "three"}) == {"one", "three"}
    assert core.stacks.scratch_owners({"four"}) == set()
    assert core.stacks.names({"one", "four", "Bad Name"}) == ["one"]


def test_dirty_limited_to_folders_takes_names_literally(core):
    git = git_repo(core)
    for name in ("alpha", "beta"):
        core.stacks.write(name, TEXT)
    assert set(git.dirty()) >= {"alpha", "beta"}
    assert set(git.dirty({"alpha"})) == {"alpha"}
    assert git.dirty({"a*"}) == {}  # a pathspec glob would have matched alpha
    assert git.dirty(set()) == {}


def test_a_watch_round_handles_only_its_stacks(core):
    for name in ("keep", "edited"):
        _settled_stack(core, name)
    assert reconcile._candidates(core, {"edited", "nothing-here"}) == ["edited"]
    assert reconcile._candidates(core, None) == ["edited", "keep"]
    assert reconcile._settled(core, ["edited"]) == {"edited"}
    core.stacks.write("edited", TEXT + "# a hand edit\n")
    assert reconcile._settled(core, ["edited", "keep"]) == {"keep"}


def test_annotating_one_view_matches_annotating_the_list(core):
    for name in ("first", "second"):
        _settled_stack(core, name)
    views = [{"id": f"svc_{n}", "name": n, "managed": True, "content_hash": content_hash(TEXT)}
             for n in ("first", "second")]
    one = [dict(views[1])]
    annotate(core, views, {v["id"]: [] for v in views})
    annotate(core, one, {one[0]["id"]: []})
    assert one[0] == views[1]
    assert one[0]["gitops"] == {"state": "synced", "error": None, "pending_hash": None, "last_commit": None,
                                "orphaned_at": None}
