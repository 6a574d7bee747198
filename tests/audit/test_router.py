"""GET /api/audit: newest first, filters, stable cursor pagination; no method changes a record (405)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sdmd.audit.log import record
from sdmd.auth.identity import SCHEDULER, Actor
from sdmd.db.base import utcnow
from tests.audit.support import actions, insert_at

ALICE = Actor(id="u-alice", email="alice@example.com")
BOB = Actor(id="u-bob", email="bob@example.com")


def collect(client, **params) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/audit", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return items
        assert pages < 100


def test_newest_first_with_every_field(client, core):
    record(core.db, actor=ALICE, action="service.create", target_id="svc_1", target_name="web",
           client_addr="10.0.0.1", details={"image": "x", "environment": {"TOKEN": "hunter2"}})
    record(core.db, actor=SCHEDULER, action="image.pull", outcome="error", details={"error": "boom"})
    items = client.get("/api/audit").json()["items"]
    assert [i["action"] for i in items] == ["image.pull", "service.create"]
    created = items[1]
    assert created["actor_id"] == "u-alice" and created["actor_email"] == "alice@example.com"
    assert created["target_id"] == "svc_1" and created["target_name"] == "web"
    assert created["outcome"] == "ok" and created["client_addr"] == "10.0.0.1"
    assert created["details"] == {"image": "x", "environment": {"TOKEN": "[redacted]"}}
    assert created["created_at"].endswith(("+00:00", "Z"))
    assert items[0]["actor_id"] == "scheduler" and items[0]["outcome"] == "error"
    one = client.get(f"/api/audit/{created['id']}")
    assert one.status_code == 200 and one.json() == created


def test_filters(client, core):
    now = utcnow()
    insert_at(core, now - timedelta(days=3), action="service.delete", actor="u-bob", target="db")
    record(core.db, actor=ALICE, action="service.create", target_id="svc_1", target_name="web")
    record(core.db, actor=BOB, action="service.restart", target_id="svc_2", target_name="db")
    record(core.db, actor=ALICE, action="image.pull", target_name="127.0.0.1:5000/app:1")

    def acts(**params):
        return [i["action"] for i in collect(client, **params)]

    assert acts(actor="u-alice") == ["image.pull", "service.create"]
    assert acts(actor="bob@example.com") == ["service.restart"]
    assert acts(action="service.create") == ["service.create"]
    assert acts(action="service.*") == ["service.restart", "service.create", "service.delete"]
    assert acts(target="db") == ["service.restart", "service.delete"]
    assert acts(target="svc_1") == ["service.create"]
    assert acts(since=(now - timedelta(days=1)).isoformat(), action="service.*") == [
        "service.restart", "service.create"]
    assert acts(until=(now - timedelta(days=1)).isoformat()) == ["service.delete"]
    naive = (now - timedelta(days=1)).replace(tzinfo=None).isoformat()  # read as UTC
    assert acts(until=naive) == ["service.delete"]
    assert acts(actor="nobody") == []


def test_cursor_pagination_is_stable_while_records_arrive(client, core):
    base = utcnow() - timedelta(hours=1)
    for n in range(7):
        insert_at(core, base + timedelta(minutes=n), action=f"test.{n}")
    insert_at(core, base + timedelta(minutes=3), action="test.3b")  # same created_at as test.3: id breaks ties
    first = client.get("/api/audit", params={"limit": 3}).json()
    assert [i["action"] for i in first["items"]] == ["test.6", "test.5", "test.4"]
    record(core.db, actor=ALICE, action="service.create")  # newer than everything: must not shift pages
    seen = [i["action"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get("/api/audit", params={"limit": 3, "cursor": cursor}).json()
        seen += [i["action"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["test.6", "test.5", "test.4", "test.3b", "test.3", "test.2", "test.1", "test.0"]
    assert collect(client, limit=2)[0]["action"] == "service.create"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"cursor": "not-a-cursor"},
                                    {"cursor": "WzEsMl0"}, {"cursor": "1.2.3"}, {"since": "yesterday"}])
def test_bad_queries_are_422(client, params):
    response = client.get("/api/audit", params=params)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid input"
    assert response.json()["details"]


@pytest.mark.parametrize("since, until", [("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
                                          ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z")])
def test_an_empty_time_range_is_an_empty_page_not_an_error(client, core, since, until):
    """A query the schema accepts is answered: since is inclusive and until exclusive, so since >= until
    simply matches nothing (it used to be a 422)."""
    record(core.db, actor=ALICE, action="service.create")
    response = client.get("/api/audit", params={"since": since, "until": until})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("cursor", ["0.0", "999999999999999999.9999999999999999999", "1764547200000000.1"])
def test_any_cursor_of_the_documented_shape_is_a_position(client, core, cursor):
    record(core.db, actor=ALICE, action="service.create")
    response = client.get("/api/audit", params={"cursor": cursor})
    assert response.status_code == 200, response.text
    # "0.0" is before every record; the far future is after all of them
    expected = 0 if cursor.startswith(("0.", "1764")) else 1
    assert len(response.json()["items"]) == expected


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/1"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
def test_no_method_changes_records(client, core, method, path):
    record(core.db, actor=ALICE, action="service.create")
    before = actions(core)
    response = client.request(method, path, json={"action": "forged"})
    assert response.status_code == 405
    assert response.json() == {"error": "method not allowed",
                               "details": "the audit log is append-only: records cannot be changed or deleted"}
    assert response.headers["allow"] == "GET"
    assert actions(core) == before


def test_missing_record_is_404(client):
    response = client.get("/api/audit/999999")
    assert response.status_code == 404 and response.json()["error"] == "audit record not found"
    assert client.get("/api/audit/abc").status_code == 422
    assert client.get(f"/api/audit/{2**64}").status_code == 422
