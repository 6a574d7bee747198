"""GitOps events (apply error once per file version, remote diverged) and the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sdmd.gitops.reconcile import reconcile
from sdmd.notifications import emit as emit_module
from sdmd.notifications.daily import DailyTrigger
from sdmd.notifications.events import Event
from sdmd.notifications.models import NotificationDelivery
from tests.gitops.test_remote import _bare, _laptop, _push_change
from tests.notifications.conftest import notify_env
from tests.support import IMAGE_V1, SLEEPER, wait_until

pytestmark = pytest.mark.one_database


def _channel(client, url: str, events: list[str], **extra) -> dict:
    r = client.post("/api/notifications/channels", json={"name": "c", "url": url, "events": events, **extra})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.mark.slow
def test_a_broken_file_in_git_is_reported_once_per_version(client, core, unique_name, receiver, processes,
                                                           settings):
    _channel(client, receiver.url, ["gitops.*"])
    processes.worker(**notify_env(settings))
    name = unique_name("git")
    svc = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **SLEEPER}).json()
    compose = settings.stacks_dir / name / "compose.yaml"
    compose.write_text(f"services:\n  app:\n    image: {IMAGE_V1}\n    ports: ['not-a-port']\n")
    for _ in range(2):
        [outcome] = [s for s in reconcile(core, names=[name], remote_sync=False)["stacks"] if s["name"] == name]
        assert outcome["action"] == "invalid"
    [message] = receiver.wait_for(1)
    assert message["title"] == f"{name} on local: GitOps apply failed"
    assert f"stacks/{name}/compose.yaml" in message["message"] and "not-a-port" in message["message"]
    assert f"https://sdmd.example.com/service/?id={svc['id']}" in message["message"]
    assert len(receiver.settle(1.5)) == 1

    compose.write_text(f"services:\n  app:\n    image: {IMAGE_V1}\n    ports: ['still-not-a-port']\n")
    reconcile(core, names=[name], remote_sync=False)
    assert "still-not-a-port" in receiver.wait_for(2)[1]["message"]


def test_a_diverged_remote_is_notified_once(client, core, tmp_path, unique_name, receiver, processes, settings):
    _channel(client, receiver.url, ["gitops.diverged"])
    processes.worker(**notify_env(settings))
    remote = _bare(tmp_path)
    core.settings.git_remote = str(remote)
    name = unique_name("web")
    client.post("/api/services", json={"name": name, "services": {"app": {"image": IMAGE_V1, **SLEEPER}}})
    assert reconcile(core)["remote"]["state"] == "pushed"
    _push_change(_laptop(tmp_path, remote), "notes", "remote side\n", "Remote change")
    r = client.put(f"/api/services/{name}", json={"name": name, "services": {"app": {
        "image": IMAGE_V1, **SLEEPER, "environment": {"LOCAL": "1"}}}})
    assert r.status_code == 200, r.text
    assert reconcile(core)["remote"]["state"] == "diverged"
    assert reconcile(core)["remote"]["state"] == "diverged"
    [message] = receiver.wait_for(1)
    assert message["title"] == "sdmd GitOps: the stacks repository diverged from its remote"
    assert "git pull --rebase" in message["message"] and str(remote) in message["message"]
    assert len(receiver.settle(1.5)) == 1


def test_digest_channels_get_one_daily_message_with_everything(client, core, receiver, processes, settings):
    digest = _channel(client, receiver.url, ["update.*", "host.*"], digest=True)  # container.* would hear other tests
    processes.worker(**notify_env(settings))
    titles = ["web on local: update rolled back (x:1)", "sdmd: host h2 is unreachable", "db on local: updated"]
    for title, kind in zip(titles, ["update.rolled_back", "host.unreachable", "update.updated"], strict=True):
        body = f"{title} happened.\nWhat to do: look at {title}.\nOpen: https://sdmd.example.com/x/"
        assert emit_module.emit(core, Event(kind, title, body)).result(10)

    def waiting():
        with core.db.sessions() as session:
            return list(session.scalars(sa.select(NotificationDelivery).where(NotificationDelivery.status == "digest")))

    assert len(wait_until(lambda: len(waiting()) == 3 and waiting(), what="three events kept for the digest")) == 3
    assert receiver.settle(1) == []  # nothing is sent per event

    processes.start("scheduler", SDMD_NOTIFY_DIGEST_TIME="00:00")  # due at once, today
    [message] = receiver.wait_for(1, timeout=40)
    assert message["title"] == "sdmd daily digest: 3 events"
    assert message["type"] == "failure"  # the worst of its events (host.unreachable is an error)
    lines = message["message"].splitlines()
    assert [t for t in titles if any(t in line for line in lines)] == titles
    assert sum("What to do:" in line for line in lines) == 3
    assert waiting() == []
    deliveries = client.get(f"/api/notifications/deliveries?channel_id={digest['id']}").json()
    [sent] = [d for d in deliveries if d["event_type"] == "digest"]
    assert sent["status"] == "sent"
    assert sorted(d["digest_id"] for d in deliveries if d["event_type"] != "digest") == [sent["id"]] * 3
    assert len(receiver.settle(2)) == 1  # once a day, not once a tick


def test_the_daily_trigger_fires_once_per_local_day_across_schedulers(core, redis, settings):
    settings.timezone = "Europe/Berlin"
    settings.notify_digest_time = "08:00"
    one, two = DailyTrigger(settings), DailyTrigger(settings)
    before = datetime(2026, 12, 2, 6, 59, tzinfo=UTC)  # 07:59 in Berlin
    after = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert one.tick(redis, before) is False
    assert one.tick(redis, after) is True
    assert two.tick(redis, after) is False and one.tick(redis, after) is False
    assert two.tick(redis, datetime(2026, 12, 3, 7, 30, tzinfo=UTC)) is True
    assert redis.llen(f"rq:queue:{settings.notify_queue_name}") == 2
