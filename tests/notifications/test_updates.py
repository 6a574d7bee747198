"""Update runs on a real worker tell the channels: available (once per new image), updated, rolled back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sdmd.notifications.models import NotificationDelivery
from tests.notifications.conftest import notify_env
from tests.notifications.receivers import JsonReceiver, free_port
from tests.schedules.test_cycle import create_service, listed, update
from tests.support import IMAGE_V1, IMAGE_V2, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


def _channel(client, url: str, events: list[str] | None = None) -> None:
    r = client.post("/api/notifications/channels", json={"name": "updates", "url": url,
                                                          "events": events or ["update.*"]})
    assert r.status_code == 201, r.text


def test_update_available_once_per_new_image_then_updated(client, core, unique_name, upstream, processes,
                                                          receiver, settings):
    repo = upstream("avail")
    v1 = repo.build(IMAGE_V1)
    repo.publish(v1)
    svc = create_service(client, unique_name("avail"), repo.ref)
    _channel(client, receiver.url)
    processes.worker(**notify_env(settings))
    assert update(client, svc["id"], "check")["result"] == "up_to_date"

    repo.publish_remote_only(repo.build(IMAGE_V2), keep_local=v1)
    assert update(client, svc["id"], "check")["result"] == "update_available"
    assert update(client, svc["id"], "check")["result"] == "update_available"  # the same candidate again
    [first] = receiver.wait_for(1)
    assert first["title"] == f"{svc['name']} on local: update available"
    assert repo.ref in first["message"] and "Update now" in first["message"]
    assert f"https://sdmd.example.com/service/?id={svc['id']}" in first["message"]
    assert len(receiver.settle(2)) == 1

    v3 = repo.build(IMAGE_V1, "ENV SDMD_TEST_VERSION=3")
    repo.publish_remote_only(v3, keep_local=v1)
    assert update(client, svc["id"], "check")["result"] == "update_available"  # a newer candidate: news
    assert update(client, svc["id"])["result"] == "updated"
    messages = receiver.wait_for(3)
    assert [m["title"] for m in messages] == [f"{svc['name']} on local: update available"] * 2 + \
        [f"{svc['name']} on local: updated"]
    assert v3.removeprefix("sha256:")[:12] in messages[1]["message"]
    assert len(receiver.settle(2)) == 3


BROKEN = 'HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD ["false"]'


def test_a_rolled_back_update_gives_one_message_naming_the_image(client, core, unique_name, upstream, processes,
                                                                 receiver, settings):
    repo = upstream("rb")
    repo.publish(IMAGE_V1)
    svc = create_service(client, unique_name("rb"), repo.ref)
    # container.* too: the new container turns unhealthy under the gate, but the run holds the service's
    # update lock, so the live model's alerts leave it to the run's own message.
    _channel(client, receiver.url, ["update.*", "container.*"])
    processes.worker(**notify_env(settings))
    repo.publish_remote_only(repo.build(IMAGE_V1, BROKEN), keep_local=IMAGE_V1)

    run = update(client, svc["id"])
    assert run["result"] == "rolled_back", run
    [message] = receiver.wait_for(1, about=svc["name"])
    assert message["title"].startswith(f"{svc['name']} on local: update rolled back")
    assert repo.ref in message["title"] and repo.ref in message["message"]
    assert "is unhealthy" in message["message"] and "What to do:" in message["message"]
    assert message["type"] == "warning"
    assert len(receiver.settle(3, about=svc["name"])) == 1


def test_a_receiver_that_is_down_leaves_the_update_result_unchanged(client, core, unique_name, upstream,
                                                                    processes, settings):
    repo = upstream("down")
    repo.publish(IMAGE_V1)
    svc = create_service(client, unique_name("down"), repo.ref)
    _channel(client, JsonReceiver(free_port()).url)  # nothing listens
    processes.worker(**notify_env(settings))
    repo.publish_remote_only(repo.build(IMAGE_V1, BROKEN), keep_local=IMAGE_V1)

    run = update(client, svc["id"])
    assert run["result"] == "rolled_back" and "is unhealthy" in run["reason"]
    assert listed(client, svc["id"])["update_available"] is True

    def failed():
        with core.db.sessions() as session:
            return session.scalar(sa.select(NotificationDelivery).where(NotificationDelivery.status == "failed"))

    row = wait_until(failed, timeout=40, what=f"the delivery to give up\n{processes.logs()}")
    assert row.event_type == "update.rolled_back" and "Connection error" in row.error
    with core.db.sessions() as session:
        from sdmd.schedules.models import UpdateRun

        [stored] = session.scalars(sa.select(UpdateRun).where(UpdateRun.service_id == svc["id"]))
    assert (stored.result, stored.reason) == (run["result"], run["reason"])
