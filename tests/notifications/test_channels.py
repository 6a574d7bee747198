"""Channels through the API: Apprise URLs validated, stored encrypted, shown masked; a real test send."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from sdmd.audit.models import AuditEntry
from sdmd.notifications.models import NotificationChannel, NotificationDelivery
from tests.notifications.receivers import free_port, text_of


def _stored(core) -> list[NotificationChannel]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(NotificationChannel)))


def test_create_list_change_delete_with_the_secret_encrypted_and_masked(client, core, receiver):
    secret_url = f"json://ops:s3cret-pass@127.0.0.1:{receiver.port}/hook"
    r = client.post("/api/notifications/channels",
                    json={"name": "ops", "url": secret_url, "events": ["update.*", "container.died"]})
    assert r.status_code == 201, r.text
    channel = r.json()
    assert channel["url"] == f"json://ops:****@127.0.0.1:{receiver.port}/hook"
    assert channel["url_has_secrets"] is True
    assert (channel["events"], channel["enabled"], channel["digest"]) == (["update.*", "container.died"], True, False)
    assert channel["id"].startswith("chn_") and channel["last_delivery"] is None

    [row] = _stored(core)
    assert "s3cret-pass" not in row.url_encrypted and "s3cret-pass" not in row.url_masked
    listed = client.get("/api/notifications/channels").json()
    assert [c["id"] for c in listed] == [channel["id"]]
    assert "s3cret-pass" not in client.get(f"/api/notifications/channels/{channel['id']}").text

    # A GET's body sent back (masked URL, read-only fields): the stored secret stays as it was.
    back = {**channel, "name": "ops team", "events": ["*"]}
    r = client.put(f"/api/notifications/channels/{channel['id']}", json=back)
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["events"]) == ("ops team", ["*"])
    r = client.post(f"/api/notifications/channels/{channel['id']}/test")
    assert r.status_code == 200 and r.json()["delivered"] is True, r.text
    [message] = receiver.wait_for(1)
    assert receiver.headers[0]["Authorization"] == "Basic " + base64.b64encode(b"ops:s3cret-pass").decode()
    assert message["title"] == "sdmd: test message" and "ops team" in message["message"]
    assert "https://sdmd.example.com/settings/notifications/" in message["message"]

    by_name = client.get("/api/notifications/channels/ops team").json()
    assert by_name["last_delivery"]["status"] == "sent" and by_name["last_delivery"]["event_type"] == "test"
    assert by_name["last_failure"] is None
    # A disabled channel gets no events, but a person may still test it (e.g. before enabling it).
    assert client.put(f"/api/notifications/channels/{channel['id']}", json={"enabled": False}).status_code == 200
    r = client.post(f"/api/notifications/channels/{channel['id']}/test")
    assert r.json()["delivered"] is True, r.text
    assert len(receiver.wait_for(2)) == 2

    with core.db.sessions() as session:
        audits = list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("notification.%"))
                                      .order_by(AuditEntry.id)))
    assert [a.action for a in audits] == ["notification.channel.create", "notification.channel.update",
                                          "notification.channel.test", "notification.channel.update",
                                          "notification.channel.test"]
    assert all("s3cret" not in str(a.details) for a in audits)

    assert client.delete(f"/api/notifications/channels/{channel['id']}").status_code == 204
    assert client.get("/api/notifications/channels").json() == []
    kept = client.get("/api/notifications/deliveries").json()
    assert [(k["channel_id"], k["channel_name"], k["status"]) for k in kept] == [(None, "ops team", "sent")] * 2
    assert client.get(f"/api/notifications/channels/{channel['id']}").status_code == 404


def test_bad_input_is_refused_and_stores_nothing(client, core):
    cases = [
        ({"name": "x", "url": "http://example.com/hook"}, "Apprise cannot use this http:// URL"),
        ({"name": "x", "url": "no-scheme-at-all"}, "no scheme"),
        ({"name": "x", "url": "mailto://u:p@127.0.0.1:25?from=not-an-address"}, "mailto"),
        ({"name": "x", "url": "json://127.0.0.1:9/h", "events": ["update.*", "nope", "container.exploded"]},
         "'nope', 'container.exploded'"),
        ({"name": " ", "url": "json://127.0.0.1:9/h"}, "name"),
        ({"name": "x", "url": "json://127.0.0.1:9/h", "enabled": "yes"}, "enabled"),
    ]
    for body, detail in cases:
        r = client.post("/api/notifications/channels", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"] in ("invalid notification URL", "invalid channel", "invalid input")
        assert detail in r.json()["details"], (body, r.json())
        assert "u:p@" not in r.text  # a secret in a refused URL is not echoed either
    assert _stored(core) == []

    ok = client.post("/api/notifications/channels", json={"name": "x", "url": "json://127.0.0.1:9/h"})
    assert ok.status_code == 201
    again = client.post("/api/notifications/channels", json={"name": "x", "url": "json://127.0.0.1:9/other"})
    assert again.status_code == 409 and again.json()["error"] == "channel name taken"
    r = client.put(f"/api/notifications/channels/{ok.json()['id']}", json={"url": "ftp://nowhere"})
    assert r.status_code == 422
    assert [c.url_masked for c in _stored(core)] == ["json://127.0.0.1:9/h"]
    assert client.put("/api/notifications/channels/chn_missing", json={"enabled": False}).status_code == 404


def test_a_test_to_a_receiver_that_is_down_reports_apprises_error(client, core):
    port = free_port()  # nothing listens there
    channel = client.post("/api/notifications/channels",
                          json={"name": "down", "url": f"json://127.0.0.1:{port}/hook"}).json()
    r = client.post(f"/api/notifications/channels/{channel['id']}/test")
    assert r.status_code == 200
    body = r.json()
    assert body["delivered"] is False and "Connection error" in body["error"]
    assert (body["delivery"]["status"], body["delivery"]["attempts"]) == ("failed", 1)
    failures = client.get("/api/notifications/deliveries?status=failed").json()
    assert [f["id"] for f in failures] == [body["delivery"]["id"]]
    assert client.get("/api/notifications/deliveries?status=bogus").status_code == 422
    [listed] = client.get("/api/notifications/channels").json()
    assert listed["last_failure"]["id"] == listed["last_delivery"]["id"] == body["delivery"]["id"]
    assert "Connection error" in listed["last_failure"]["error"]
    with core.db.sessions() as session:
        [audit] = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "notification.channel.test"))
    assert audit.outcome == "error"


def test_mailto_to_a_real_smtp_server(client, smtp):
    channel = client.post("/api/notifications/channels", json={"name": "mail", "url": smtp.url()}).json()
    assert channel["url"].startswith(f"mailto://127.0.0.1:{smtp.port}/")
    r = client.post(f"/api/notifications/channels/{channel['id']}/test")
    assert r.json()["delivered"] is True, r.text
    [(sender, recipients, mail)] = smtp.wait_for(1)
    assert (sender, recipients) == ("sdmd@example.com", ["ops@example.com"])
    assert mail["Subject"] == "sdmd: test message"
    assert "if you read this, the channel works" in text_of(mail)


def test_the_event_catalogue_lists_every_type_a_channel_can_name(client):
    events = client.get("/api/notifications/events").json()
    types = {e["type"] for e in events}
    assert {"update.available", "update.updated", "update.rolled_back", "update.failed", "container.died",
            "container.unhealthy", "container.restart_loop", "host.unreachable", "host.back",
            "gitops.apply_error", "gitops.diverged", "security.login_throttled"} == types
    assert all(e["group"] == e["type"].split(".")[0] and e["description"] for e in events)


def test_deliveries_page_backwards(client, core):
    channel = client.post("/api/notifications/channels", json={"name": "p", "url": "json://127.0.0.1:9/h"}).json()
    from sdmd.db.base import utcnow

    with core.db.session() as session:
        session.add_all([NotificationDelivery(channel_id=channel["id"], channel_name="p", event_type="host.back",
                                              severity="info", title=f"t{i}", body="b", status="sent", attempts=1,
                                              occurred_at=utcnow()) for i in range(5)])
    first = client.get("/api/notifications/deliveries?limit=2").json()
    assert [d["title"] for d in first] == ["t4", "t3"]
    rest = client.get(f"/api/notifications/deliveries?limit=10&before_id={first[-1]['id']}").json()
    assert [d["title"] for d in rest] == ["t2", "t1", "t0"]
    assert client.get(f"/api/notifications/deliveries?channel_id={channel['id']}&event_type=update.updated"
                      ).json() == []

