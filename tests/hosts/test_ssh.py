"""SSH hosts: pinning on first use (explicitly), a changed host key refused, sdmd's own ssh settings only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sdmd.audit.models import AuditEntry
from tests.hosts.support import add_ssh_host, fingerprint, host_state, remote_containers, service_body
from tests.hosts.support import sqlite_database_url as database_url  # noqa: F401 (fixture)
from tests.support import wait_until

pytestmark = pytest.mark.xdist_group("remote_hosts")


def test_the_host_key_is_pinned_only_when_the_caller_confirms_it(client, core, ssh_host):
    user_known_hosts = Path.home() / ".ssh" / "known_hosts"
    before = user_known_hosts.read_bytes() if user_known_hosts.exists() else None
    expected = fingerprint(ssh_host.ssh_host_key.public)

    host = add_ssh_host(client, ssh_host, "edge", pin=False)
    assert host["kind"] == "ssh" and host["ssh"]["host_key_pinned"] is False
    assert host["ssh"]["public_key"] == " ".join(ssh_host.ssh_client_key.public.split()[:2])
    state = wait_until(lambda: (h := host_state(client, "edge"))["state"] == "unreachable" and h,
                       timeout=10, what="an unpinned host reported unreachable")
    assert "not confirmed" in state["last_error"] or "not pinned" in state["last_error"]

    shown = client.post(f"/api/hosts/{host['id']}/test")
    assert shown.status_code == 200, shown.text
    result = shown.json()
    assert result["ok"] is False and result["host_key"]["pinned"] is False
    assert result["host_key"]["fingerprint"] == expected and result["host_key"]["type"] == "ssh-ed25519"
    assert expected in result["error"]

    wrong = client.post(f"/api/hosts/{host['id']}/test", json={"fingerprint": "SHA256:" + "A" * 43})
    assert wrong.status_code == 409 and wrong.json()["error"] == "fingerprint does not match"
    assert client.get(f"/api/hosts/{host['id']}").json()["ssh"]["host_key_pinned"] is False

    pinned = client.post(f"/api/hosts/{host['id']}/test", json={"fingerprint": expected})
    assert pinned.status_code == 200, pinned.text
    result = pinned.json()
    assert result["ok"] is True and result["host_key"]["pinned_now"] is True
    assert result["engine"]["version"] and result["compose"]["ok"] is True
    known = core.settings.data_dir / "hosts" / host["id"] / "known_hosts"
    assert stat.S_IMODE(known.stat().st_mode) == 0o600 and ssh_host.guest_ip in known.read_text()
    with core.db.sessions() as session:
        [pin] = session.query(AuditEntry).filter_by(action="host.pin").all()
    assert pin.details["fingerprints"] == [expected] and pin.details["replaced"] is False
    wait_until(lambda: host_state(client, "edge")["state"] == "connected", timeout=10, what="connected once pinned")
    after = user_known_hosts.read_bytes() if user_known_hosts.exists() else None
    assert after == before  # the user's own ssh files are never read or written


def test_a_changed_host_key_is_refused_until_the_new_one_is_confirmed(client, core, ssh_host, unique_name):
    host = add_ssh_host(client, ssh_host, "keyed")
    name = unique_name("key")
    assert client.post("/api/services", json=service_body(name, "keyed")).status_code == 201
    old = fingerprint(ssh_host.ssh_host_key.public)
    try:
        new_key = ssh_host.replace_host_key()  # sshd restarted with another key: connections drop
        new = fingerprint(new_key.public)
        state = wait_until(lambda: (h := host_state(client, "keyed"))["state"] == "unreachable" and h,
                           timeout=20, what="the host refused after its key changed")
        assert "host key changed" in state["last_error"]
        refused = client.post(f"/api/hosts/{host['id']}/test")
        assert refused.status_code == 409 and refused.json()["error"] == "host key changed"
        assert new in refused.json()["details"] and old in refused.json()["details"]
        view = next(s for s in client.get("/api/services").json() if s["name"] == name)
        assert view["status"] == "unknown" and "host key changed" in view["host_error"]
        assert client.post(f"/api/services/{view['id']}/restart").status_code == 503
        # Confirming the new key needs `replace`: a fingerprint alone does not override a pin.
        assert client.post(f"/api/hosts/{host['id']}/test", json={"fingerprint": new}).status_code == 409
        replaced = client.post(f"/api/hosts/{host['id']}/test", json={"fingerprint": new, "replace": True})
        assert replaced.status_code == 200 and replaced.json()["ok"] is True, replaced.text
        wait_until(lambda: host_state(client, "keyed")["state"] == "connected", timeout=15,
                   what="connected with the new key")
        assert next(s for s in client.get("/api/services").json() if s["name"] == name)["status"] == "running"
        assert [c["State"] for c in remote_containers(ssh_host, name)] == ["running"]
    finally:
        ssh_host.stop_sshd()
        ssh_host.write_host_key(ssh_host.ssh_host_key)
        ssh_host.start_sshd()
