"""kill -9 of the API at each step of create, update and delete (SDMD_FAULT, sdmd/faults.py).

After a restart, one reconcile round must leave the file, the database mirror, git and the
containers agreeing, with no draft folder and no service lost.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

import httpx
import pytest

from sdmd.core import Core
from sdmd.faults import POINTS
from sdmd.services import repository as repo
from sdmd.services.changes import Definition
from sdmd.services.service import create_service
from tests.crash.support import ApiProcess, git, project_containers, wait_for_orphans
from tests.support import IMAGE_V1, IMAGE_V2, wait_until

YAML = {"Content-Type": "application/yaml"}


def compose_text(image: str) -> str:
    # network_mode none: no network to create, so a kill mid-up leaves only containers to reason about
    return (f"services:\n  app:\n    image: {image}\n    command: [sleep, '3600']\n    init: true\n"
            f"    network_mode: none\n")


# Where each operation stands after its kill and the reconcile round: present (with which image) or gone.
def expected(operation: str, point: str) -> str | None:
    if point == "after_validation":  # nothing was changed yet: the request simply did not happen
        return None if operation == "create" else IMAGE_V1
    return {"create": IMAGE_V1, "update": IMAGE_V2, "delete": None}[operation]


CASES = [pytest.param(op, point, db, id=f"{op}-{point}-{db}")
         for op in ("create", "update", "delete") for point in POINTS
         # the uncommitted transaction is where the two databases differ; the rest is covered on SQLite
         for db in (("sqlite", "postgresql") if point == "before_db_commit" else ("sqlite",))]


def assert_agreement(core: Core, name: str, image: str | None) -> None:
    stacks = core.settings.stacks_dir
    assert not list(stacks.glob(".draft-*")), "a draft folder was left"
    assert not list(stacks.glob("*/.compose.*.tmp")), "a write temporary was left"
    assert core.stacks.pending_deletes() == {}
    text = core.stacks.read(name)
    with core.db.sessions() as session:
        config = repo.get_by_name(session, name)
        mirror = config.compose_text if config is not None else None
    boxes = project_containers(name)
    assert git(core, "status", "--porcelain", "--", name) == "", "git does not have what the folder has"
    git(core, "fsck", "--no-progress")
    if image is None:
        assert text is None and config is None and boxes == []
        assert git(core, "ls-files", "--", name) == ""
        return
    assert text == compose_text(image) and mirror == text
    assert git(core, "show", f"HEAD:{name}/compose.yaml") == text
    assert [(b["Image"], b["State"]) for b in boxes] == [(image, "running")]


@pytest.mark.parametrize(("operation", "point", "database_url"), CASES, indirect=["database_url"])
def test_kill_api_then_one_reconcile_round_agrees(core: Core, api: ApiProcess, unique_name, operation: str,
                                                   point: str) -> None:
    name = unique_name("k")
    service_id = None
    if operation != "create":
        view = create_service(core, actor=None, definition=Definition(name=name, raw_text=compose_text(IMAGE_V1)))
        service_id = view["id"]

    api.start(SDMD_FAULT=f"{operation}.{point}")
    if operation == "create":
        api.request_until_killed("POST", f"/api/services?name={name}", content=compose_text(IMAGE_V1), headers=YAML)
    elif operation == "update":
        api.request_until_killed("PUT", f"/api/services/{service_id}", content=compose_text(IMAGE_V2), headers=YAML)
    else:
        api.request_until_killed("DELETE", f"/api/services/{service_id}")
    wait_for_orphans(name)

    api.start()  # no fault: the restarted sdmd
    r = api.request("POST", "/api/gitops/reconcile")
    assert r.status_code == 200, r.text
    failed = [s for s in r.json()["stacks"] if s["action"] in ("failed", "invalid")]
    assert not failed, r.json()
    want = expected(operation, point)
    assert_agreement(core, name, want)

    # The lock is free and the service answers like any other: its view, no drift, and a further change.
    listed = {s["name"]: s for s in api.request("GET", "/api/services").json() if s.get("managed")}
    if want is None:
        assert name not in listed
        return
    view = listed[name]
    assert view["status"] == "running", view
    assert view["drift"] is None or not view["drift"]["drifted"], view["drift"]
    r = api.request("DELETE", f"/api/services/{view['id']}")
    assert r.status_code == 200, r.text
    assert project_containers(name) == [] and core.stacks.read(name) is None


def test_kill_while_a_draft_exists_then_reconcile_removes_it(core: Core, api: ApiProcess, unique_name) -> None:
    """The report of issue 19: a kill while `compose config` validates the draft left .draft-<name>-* for good."""
    name = unique_name("d")
    api.start()
    assert api.proc is not None
    request = threading.Thread(target=lambda: _ignore_errors(
        api.request, "POST", f"/api/services?name={name}", content=compose_text(IMAGE_V1), headers=YAML))
    request.start()
    draft = wait_until(lambda: next(core.settings.stacks_dir.glob(f".draft-{name}-*"), None), timeout=30,
                       interval=0.005, what="the validation draft")
    os.kill(api.proc.pid, signal.SIGKILL)
    request.join(timeout=60)
    api.proc.wait(timeout=30)
    wait_for_orphans(name)
    assert draft.exists(), "the draft went away without a reconcile; the kill came too late to test anything"

    api.start()
    r = api.request("POST", "/api/gitops/reconcile")
    assert r.status_code == 200, r.text
    assert not draft.exists()
    # The kill came during validation, so nothing else was written: the create simply did not happen.
    assert_agreement(core, name, None)


def _ignore_errors(fn, *args, **kwargs) -> None:
    with contextlib.suppress(httpx.HTTPError):
        fn(*args, **kwargs)
