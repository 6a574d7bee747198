"""The Docker daemon restarting during `compose up` (issue 19): the error is recorded, and the service
comes back as its file says. On a private dockerd (tests/hosts/remote.py), never the shared one."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from sdmd.gitops.reconcile import reconcile
from tests.crash.support import compose_up_running
from tests.hosts.support import add_tls_host, remote_containers, service_body
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import IMAGE_V1, IMAGE_V2, wait_until

pytestmark = pytest.mark.xdist_group("remote_hosts")


@pytest.mark.parametrize("downtime", ["restart", "down_until_answered"])
def test_daemon_restart_during_compose_up(client, core, fault_host, unique_name, downtime):
    """`restart`: killed and started again at once (the restore usually finds it back). `down_until_answered`:
    it stays away until the request has answered, so the restore fails too and the round re-applies."""
    add_tls_host(client, fault_host, "side")
    name = unique_name("dr")
    r = client.post("/api/services", json=service_body(name, "side"))
    assert r.status_code == 201, r.text
    service_id = r.json()["id"]
    before = core.stacks.read(name)

    # The new version's `up` waits ~8 s for db to be healthy: the daemon dies while compose waits on it.
    new = (f"x-sdmd:\n  host: side\nservices:\n  {name}:\n    image: {IMAGE_V2}\n    command: [sleep, '3600']\n"
           f"    init: true\n    depends_on: {{db: {{condition: service_healthy}}}}\n"
           f"  db:\n    image: {IMAGE_V2}\n    command: [sh, -c, 'sleep 8; touch /tmp/ready; sleep 3600']\n"
           f"    init: true\n    healthcheck: {{test: [CMD, test, -f, /tmp/ready], interval: 1s, retries: 60}}\n")
    answer: dict = {}
    update = threading.Thread(target=lambda: answer.update(r=client.put(
        f"/api/services/{service_id}", content=new, headers={"Content-Type": "application/yaml"})))
    update.start()
    wait_until(lambda: compose_up_running(name), timeout=60, interval=0.01, what="the update's compose up")
    wait_until(lambda: any(b["Image"] == IMAGE_V2 for b in remote_containers(fault_host, name)), timeout=60,
               interval=0.05, what="compose up under way (db created)")
    if downtime == "restart":
        fault_host.restart_dockerd()  # SIGKILL mid-up, then a fresh daemon
        update.join(timeout=180)
    else:
        fault_host.kill_dockerd()
        update.join(timeout=180)
        fault_host.start_dockerd()
    r = answer["r"]
    # The error is recorded: the request says so, and so does the audit log.
    assert r.status_code in (422, 502, 503, 504), r.text
    with core.db.engine.connect() as conn:
        outcome = conn.execute(sa.text("SELECT outcome FROM audit_log WHERE action = 'service.update'")).scalar_one()
    assert outcome == "error"
    assert core.stacks.read(name) == before  # the previous file is back

    # One round after the daemon is back: the service runs as its file (and mirror) say.
    wait_until(lambda: client.get("/api/hosts").json() and all(
        h["state"] == "connected" for h in client.get("/api/hosts").json() if h["name"] == "side"),
        timeout=30, what="host side connected again")
    report = reconcile(core)
    if downtime == "down_until_answered":
        assert "the next reconcile applies it again" in r.json()["details"]
        assert report["reapplied"] == [name]
    assert not [s for s in report["stacks"] if s["action"] in ("failed", "invalid")], report
    boxes = remote_containers(fault_host, name)
    assert [(b["Image"], b["State"]) for b in boxes] == [(IMAGE_V1, "running")], (boxes, report)
    assert core.stacks.pending_intents("reapply") == {}
    view = client.get(f"/api/services/{service_id}").json()
    assert view["compose"] == before and view["status"] == "running"
