"""/api/hosts against real hosts: validation, connection tests before storing, material at rest, audit."""

from __future__ import annotations

import socket
import stat

import pytest

from sdmd.audit.models import AuditEntry
from tests.hosts.pki import Authority
from tests.hosts.support import add_tls_host, remote_containers, service_body
from tests.support import wait_until

pytestmark = pytest.mark.xdist_group("remote_hosts")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _audits(core, action: str) -> list[AuditEntry]:
    with core.db.sessions() as session:
        return list(session.query(AuditEntry).filter_by(action=action).order_by(AuditEntry.id))


def _nothing_stored(client, core) -> None:
    assert [h["name"] for h in client.get("/api/hosts").json()] == ["local"]
    hosts_dir = core.settings.data_dir / "hosts"
    assert not hosts_dir.exists() or not any(hosts_dir.iterdir()), list(hosts_dir.iterdir())


def test_local_always_exists_and_cannot_be_changed_or_removed(client):
    [local] = client.get("/api/hosts").json()
    assert (local["id"], local["name"], local["local"], local["state"]) == ("local", "local", True, "connected")
    assert local["engine"]["version"] and local["engine"]["api_version"]
    r = client.delete("/api/hosts/local")
    assert r.status_code == 409 and r.json()["error"] == "the local host cannot be removed"
    assert client.put("/api/hosts/local", json={"labels": {"a": "b"}}).status_code == 409
    assert client.post("/api/hosts", json={"name": "local", "url": "unix:///tmp/x.sock"}).status_code == 409


@pytest.mark.parametrize("url", ["http://10.0.0.1:2375", "file:///var/run/docker.sock", "garbage", "tcp://h",
                                 "ssh://-oProxyCommand=touch%20x", "unix://relative/path", "ssh://a:pw@h",
                                 "tcp://[::1"])
def test_bad_urls_are_refused_and_store_nothing(client, core, url):
    r = client.post("/api/hosts", json={"name": "bad", "url": url})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid host URL"
    _nothing_stored(client, core)
    assert _audits(core, "host.create")[-1].outcome == "error"


def test_missing_or_wrong_material_is_refused(client, core, tls_host):
    r = client.post("/api/hosts", json={"name": "h", "url": tls_host.tcp_url})
    assert r.status_code == 422 and r.json()["error"] == "TLS material required"
    material = tls_host.tls_material()
    other_key = Authority().issue("x", client=True).key
    r = client.post("/api/hosts", json={"name": "h", "url": tls_host.tcp_url, "tls": {**material, "key": other_key}})
    assert r.status_code == 422 and "does not belong" in r.json()["details"]
    r = client.post("/api/hosts", json={"name": "h", "url": "ssh://root@10.250.0.9", "tls": material})
    assert r.status_code == 422
    _nothing_stored(client, core)


def test_unreachable_hosts_are_502_and_store_nothing(client, core, tls_host):
    port = _closed_port()
    r = client.post("/api/hosts", json={"name": "gone", "url": f"tcp://127.0.0.1:{port}",
                                        "tls": tls_host.tls_material()})
    assert r.status_code == 502, r.text
    assert r.json()["error"] == "host unreachable"
    r = client.post("/api/hosts", json={"name": "gone", "url": f"ssh://root@127.0.0.1:{port}",
                                        "ssh_key": _any_ssh_key()})
    assert r.status_code == 502, r.text
    # The right daemon, but a CA that did not sign its certificate: refused, not trusted.
    stranger = Authority()
    client_cert = stranger.issue("sdmd", client=True)
    r = client.post("/api/hosts", json={"name": "mitm", "url": tls_host.tcp_url,
                                        "tls": {"ca": stranger.pem, "cert": client_cert.cert, "key": client_cert.key}})
    assert r.status_code == 502, r.text
    assert "certificate" in r.json()["details"].lower()
    _nothing_stored(client, core)


def _any_ssh_key() -> str:
    from tests.hosts.pki import ssh_key

    return ssh_key().private


def test_tls_host_create_read_test_update_delete(client, core, tls_host):
    host = add_tls_host(client, tls_host, "db1", labels={"site": "fra"})
    assert host["id"].startswith("host_")
    assert (host["name"], host["url"], host["kind"], host["local"]) == ("db1", tls_host.tcp_url, "tcp", False)
    assert host["state"] == "connected" and host["engine"]["version"].startswith("20.")
    assert host["tls"]["subject"] == "CN=sdmd" and host["labels"] == {"site": "fra"}
    # The material is on disk, private, and never in an answer or the audit log.
    folder = core.settings.data_dir / "hosts" / host["id"]
    for name in ("ca.pem", "cert.pem", "key.pem"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    key_body = tls_host.tls_material()["key"].splitlines()[1]
    for text in (client.get("/api/hosts").text, client.get(f"/api/hosts/{host['id']}").text,
                 client.get("/api/audit?action=host.*").text):
        assert "PRIVATE KEY" not in text and key_body not in text
    [created] = _audits(core, "host.create")
    assert created.outcome == "ok" and created.target_id == host["id"] and created.details["url"] == tls_host.tcp_url

    assert client.get("/api/hosts/db1").json()["id"] == host["id"]
    assert client.post("/api/hosts", json={"name": "db1", "url": "unix:///tmp/other.sock"}).status_code == 409
    dup = client.post("/api/hosts", json={"name": "db2", "url": tls_host.tcp_url, "tls": tls_host.tls_material()})
    assert dup.status_code == 409 and dup.json()["error"] == "host already configured"

    tested = client.post(f"/api/hosts/{host['id']}/test")
    assert tested.status_code == 200, tested.text
    result = tested.json()
    assert result["ok"] is True and result["compose"]["ok"] is True and result["compose"]["version"]
    assert result["engine"]["os"] == "linux" and result["engine"]["arch"] and result["engine"]["api_version"]
    assert result["latency_ms"] > 0 and result["host_key"] is None

    changed = client.put(f"/api/hosts/{host['id']}", json={"labels": {"site": "ams"}})
    assert changed.status_code == 200 and changed.json()["labels"] == {"site": "ams"}
    assert _audits(core, "host.update")[-1].details["changed"] == ["labels"]
    broken = client.put(f"/api/hosts/{host['id']}", json={"url": f"tcp://127.0.0.1:{_closed_port()}"})
    assert broken.status_code == 502  # a new address is tested first; nothing changed
    assert client.get(f"/api/hosts/{host['id']}").json()["url"] == tls_host.tcp_url

    gone = client.delete(f"/api/hosts/{host['id']}")
    assert gone.status_code == 200 and gone.json() == {"status": "deleted", "id": host["id"], "orphaned": []}
    assert not folder.exists()
    assert client.get(f"/api/hosts/{host['id']}").status_code == 404
    assert _audits(core, "host.delete")[-1].outcome == "ok"


def test_removing_a_host_with_services_needs_force_and_orphans_them(client, core, tls_host, unique_name):
    host = add_tls_host(client, tls_host, "apps")
    name = unique_name("orph")
    r = client.post("/api/services", json=service_body(name, "apps"))
    assert r.status_code == 201, r.text
    refused = client.delete(f"/api/hosts/{host['id']}")
    assert refused.status_code == 409 and name in refused.json()["details"]
    assert client.put(f"/api/hosts/{host['id']}", json={"name": "renamed"}).status_code == 409

    forced = client.delete(f"/api/hosts/{host['id']}?force=true")
    assert forced.status_code == 200 and forced.json()["orphaned"] == [name]
    assert _audits(core, "host.delete")[-1].details["orphaned"] == [name]
    [running] = remote_containers(tls_host, name)  # nothing on the host was touched
    assert running["State"] == "running"
    view = next(s for s in client.get("/api/services").json() if s["name"] == name)
    assert (view["host"], view["host_state"], view["status"]) == ("apps", "missing", "unknown")
    assert "not configured" in view["host_error"]
    assert client.post(f"/api/services/{view['id']}/restart").status_code == 409

    # Deleting the orphan removes its folder and rows, and still touches no host.
    assert client.delete(f"/api/services/{view['id']}").status_code == 200
    assert not core.stacks.exists(name)
    assert [c["Id"] for c in remote_containers(tls_host, name)] == [running["Id"]]


def test_a_host_added_in_another_process_is_watched_here_too(client, core, tls_host):
    """The hosts table is the truth for every process: a row written elsewhere gets a watcher here."""
    from sdmd.core import Core
    from sdmd.hosts import service as hosts_service
    from sdmd.hosts.schemas import HostCreate

    other = Core(core.settings)  # a second process's view: same database and data dir, no live model
    try:
        hosts_service.create_host(other, actor=None, body=HostCreate(name="elsewhere", url=tls_host.tcp_url,
                                                                     tls=tls_host.tls_material()))
    finally:
        other.close()
    state = wait_until(lambda: next((h for h in client.get("/api/hosts").json()
                                     if h["name"] == "elsewhere" and h["state"] == "connected"), None),
                       timeout=core.settings.host_sync_seconds + 5, what="the other process's host connected")
    assert state["engine"]["version"]
