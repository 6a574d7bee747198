"""Delivery by a real `sdmd worker`: once per event, retried with backoff, recorded; never in the way."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.notifications import emit as emit_module
from sdmd.notifications.events import Event
from sdmd.notifications.models import NotificationDelivery
from tests.notifications.conftest import notify_env
from tests.notifications.receivers import JsonReceiver, free_port
from tests.support import wait_until
from tests.support_auth import TEST_EMAIL, ensure_user

pytestmark = pytest.mark.one_database


def _channel(client, name: str, url: str, events: list[str], **extra) -> dict:
    r = client.post("/api/notifications/channels", json={"name": name, "url": url, "events": events, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def _deliveries(core) -> list[NotificationDelivery]:
    with core.db.sessions() as session:
        return list(session.scalars(sa.select(NotificationDelivery).order_by(NotificationDelivery.id)))


def test_throttled_logins_give_one_security_alert_per_window(client, anonymous_client, core, receiver, processes,
                                                             settings):
    _channel(client, "security", receiver.url, ["security.*"])
    _channel(client, "updates only", JsonReceiver().url, ["update.*"])  # must not get it
    processes.worker(**notify_env(settings))
    ensure_user(core)
    statuses = [anonymous_client.post("/auth/login", json={"username": TEST_EMAIL, "password": "wrong"}).status_code
                for _ in range(settings.login_max_failures + 3)]
    assert statuses == [401] * settings.login_max_failures + [429] * 3
    [message] = receiver.wait_for(1)
    assert message["title"] == f"sdmd security: logins throttled for {TEST_EMAIL}"
    assert "What to do:" in message["message"] and "testclient" in message["message"]
    assert "https://sdmd.example.com/audit/?action=auth.login_failed" in message["message"]
    assert message["type"] == "warning"
    assert len(receiver.settle()) == 1  # three 429s, one alert
    assert [(d.channel_name, d.event_type, d.status) for d in _deliveries(core)] == \
        [("security", "security.login_throttled", "sent")]


def test_a_failing_receiver_is_retried_with_backoff_then_delivered(client, core, receiver, processes, settings):
    receiver.fail_next = 2  # two 503s, then it works: three attempts with [1, 1] s between
    _channel(client, "flaky", receiver.url, ["host.*"])
    processes.worker(**notify_env(settings))
    started = time.monotonic()
    assert emit_module.emit(core, Event("host.back", "sdmd: host h1 is back", "body", host="h1")).result(10)
    [message] = receiver.wait_for(1, timeout=40)
    # The backoff waited: 1 s twice, less what RQ's whole-second scheduling may round off the first.
    assert time.monotonic() - started >= 1
    assert (message["title"], receiver.refused) == ("sdmd: host h1 is back", 2)
    [row] = wait_until(lambda: [d for d in _deliveries(core) if d.status == "sent"], what="sent")
    assert (row.attempts, row.error) == (3, None)


def test_a_receiver_that_stays_down_fails_after_the_last_retry_with_its_error(client, core, processes, settings):
    down = JsonReceiver(free_port())  # never started
    _channel(client, "down", down.url, ["host.*"])
    processes.worker(**notify_env(settings))
    emit_module.emit(core, Event("host.unreachable", "sdmd: host h2 is unreachable", "body", host="h2")).result(10)
    row = wait_until(lambda: next((d for d in _deliveries(core) if d.status == "failed"), None), timeout=40,
                     what=f"the delivery to fail\n{processes.logs()}")
    assert row.attempts == 1 + len(settings.notify_retry_seconds)
    assert "Connection error" in row.error
    listed = client.get("/api/notifications/deliveries?status=failed").json()
    assert [(d["id"], d["attempts"]) for d in listed] == [(row.id, 3)]


def test_disabled_channels_and_unselected_events_get_nothing(client, core, receiver, processes, settings):
    _channel(client, "off", receiver.url, ["host.*", "update.*", "gitops.*"], enabled=False)
    _channel(client, "gitops", receiver.url, ["gitops.*"])
    processes.worker(**notify_env(settings))
    assert emit_module.emit(core, Event("update.updated", "t", "b")).result(10) is False  # nobody wants it
    assert emit_module.emit(core, Event("gitops.diverged", "diverged", "b")).result(10) is True
    assert [m["title"] for m in receiver.wait_for(1)] == ["diverged"]
    assert len(receiver.settle(1.5)) == 1


def test_redis_down_costs_the_action_nothing(tmp_path, database_url, receiver):
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                        redis_url=f"unix://{tmp_path}/no-redis-here.sock", gitops_watch=False)
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    try:
        with TestClient(create_app(core=core)) as anonymous:
            from tests.support_auth import authenticate

            with TestClient(create_app(core=core)) as client:
                authenticate(client, core)
                _channel(client, "sec", receiver.url, ["security.*", "host.*"])
            statuses, slowest = [], 0.0
            for _ in range(settings.login_max_failures + 1):
                started = time.monotonic()
                r = anonymous.post("/auth/login", json={"username": TEST_EMAIL, "password": "x"})
                statuses.append(r.status_code)
                slowest = max(slowest, time.monotonic() - started)
            assert statuses[-1] == 429
            # No login waits for Redis (its client gives up after 5 s): the event is handed to a thread.
            assert slowest < 5, slowest
            emit_module.flush()
            assert emit_module.emit(core, Event("host.back", "t", "b")).result(10) is False
    finally:
        core.close()
    assert receiver.received == []
