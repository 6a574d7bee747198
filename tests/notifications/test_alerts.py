"""Container and host alerts from real Docker events of the local engine, delivered by a real worker.

The app under test runs the live host model and its AlertConsumer, as the API does. `Feed` plays a
second API process with a model of its own: it reads the engine's /events for one project and hands
every event to another AlertRules. Each alert must still go out exactly once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.notifications.alerts import AlertRules
from sdmd.updates.cycle import lock_key
from tests.notifications.conftest import notify_env
from tests.support import IMAGE_V1, SLEEPER, docker_api, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.one_database]


class Feed:
    def __init__(self, core, redis, project: str) -> None:
        self.rules = [AlertRules(core, redis)]
        self.api = docker_api()
        self.stream = self.api.events(decode=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        self.alerts: list = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(Exception):  # the stream ends when close() cuts it
            for event in self.stream:
                for rules in self.rules:
                    alert = rules.on_container_event("local", event)
                    if alert is not None:
                        self.alerts.append(alert)

    def close(self) -> None:
        self.stream.close()
        self.thread.join(5)
        self.api.close()


@pytest.fixture
def feed(core, redis) -> Iterator:
    feeds: list[Feed] = []

    def start(project: str) -> Feed:
        feeds.append(Feed(core, redis, project))
        return feeds[-1]

    yield start
    for f in feeds:
        f.close()


@pytest.fixture
def alerts_channel(client, receiver, processes, settings):
    r = client.post("/api/notifications/channels", json={"name": "alerts", "url": receiver.url,
                                                          "events": ["container.*", "host.*"]})
    assert r.status_code == 201, r.text
    processes.worker(**notify_env(settings))
    return receiver


def _service(client, name: str, spec: dict) -> dict:
    r = client.post("/api/services", json={"name": name, "image": IMAGE_V1, **spec})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_container_that_exits_with_code_1_gives_exactly_one_alert(app, client, unique_name, feed, alerts_channel):
    name = unique_name("crash")
    events = feed(name)
    handled_before = app.state.alerts.handled
    svc = _service(client, name, {"command": ["sh", "-c", "sleep 1; exit 1"], "restart": "no"})
    [message] = alerts_channel.wait_for(1, about=name)
    assert message["title"].startswith(f"{name} on local: ") and message["title"].endswith("exited with code 1")
    assert "without being stopped by sdmd or a user" in message["message"]
    assert "What to do: read its logs" in message["message"]
    assert f"https://sdmd.example.com/service/?id={svc['id']}" in message["message"]
    assert message["type"] == "failure"
    assert len(alerts_channel.settle(2, about=name)) == 1
    # Both the app's consumer (fed by the host model) and the second process saw the event; one sent it.
    assert app.state.alerts.handled > handled_before
    assert len(events.alerts) <= 1

    # It crashes again after a restart: the same container within the flap window stays quiet.
    assert client.post(f"/api/services/{svc['id']}/restart").status_code == 200
    wait_until(lambda: any(c["State"] == "exited" for c in docker_api().containers(
        all=True, filters={"label": f"{PROJECT_LABEL}={name}"})), what="the second crash")
    assert len(alerts_channel.settle(3, about=name)) == 1


def test_stopped_on_purpose_is_no_alert(client, core, redis, unique_name, feed, alerts_channel):
    name = unique_name("calm")
    feed(name)
    svc = _service(client, name, {**SLEEPER, "restart": "no"})
    api = docker_api()
    [container] = api.containers(filters={"label": f"{PROJECT_LABEL}={name}"})
    api.stop(container["Id"], timeout=5)  # exit 143 after sdmd saw the kill
    api.start(container["Id"])
    api.kill(container["Id"])  # 137
    api.start(container["Id"])
    assert client.post(f"/api/services/{svc['id']}/restart").status_code == 200

    # The service's update run holds its lock: a container that dies meanwhile is the gate's to judge.
    redis.set(lock_key(svc["id"]), "run", ex=60)
    r = client.put(f"/api/services/{svc['id']}", json={"name": name, "image": IMAGE_V1,
                                                       "command": ["sh", "-c", "sleep 1; exit 4"]})
    assert r.status_code == 200, r.text
    time.sleep(3)
    redis.delete(lock_key(svc["id"]))

    # The positive control: an unrequested crash of another service in the same feed's sight.
    other = unique_name("crash")
    feed(other)
    _service(client, other, {"command": ["sh", "-c", "sleep 1; exit 2"], "restart": "no"})
    [message] = alerts_channel.wait_for(1, about=other)
    assert message["title"].startswith(f"{other} on local:") and message["title"].endswith("code 2")
    assert alerts_channel.settle(2, about=name) == []  # nothing about the service stopped on purpose
    api.close()


def test_a_restart_loop_gives_one_loop_alert_besides_the_first_crash(client, unique_name, feed, alerts_channel,
                                                                    settings):
    name = unique_name("loop")
    feed(name)
    _service(client, name, {"command": ["sh", "-c", "sleep 0.2; exit 3"], "restart": "always"})
    messages = alerts_channel.wait_for(2, timeout=40, about=name)
    assert messages[0]["title"].endswith("exited with code 3")
    assert messages[1]["title"].endswith("is in a restart loop")
    assert f"stopped {settings.notify_restart_loop_count} times within 5 minutes" in messages[1]["message"]
    time.sleep(4)  # it goes on dying (Docker's backoff doubles from 100 ms): still two messages
    assert len(alerts_channel.messages(name)) == 2


def test_an_unhealthy_container_gives_one_alert(client, unique_name, feed, alerts_channel):
    name = unique_name("sick")
    feed(name)
    _service(client, name, {**SLEEPER, "healthcheck": {"test": ["CMD", "false"], "interval": "1s",
                                                       "timeout": "2s", "retries": 1}})
    [message] = alerts_channel.wait_for(1, timeout=30, about=name)
    assert message["title"].startswith(f"{name} on local:") and message["title"].endswith("is unhealthy")
    assert "healthcheck" in message["message"] and message["type"] == "warning"
    assert len(alerts_channel.settle(3, about=name)) == 1


def test_host_unreachable_then_back_once_each_and_quiet_while_flapping(core, redis, alerts_channel):
    first, second = AlertRules(core, redis), AlertRules(core, redis)  # two processes, one model each
    sent = [rules.on_host_state("h2", "unreachable", error="dial tcp 10.250.0.2:2376: connection refused")
            for rules in (first, second, first)]
    assert [e is not None for e in sent] == [True, False, False]
    assert first.on_host_state("h2", "reconnecting") is None
    back = [rules.on_host_state("h2", "connected") for rules in (second, first)]
    assert [e is not None for e in back] == [True, False]
    # Down again within the flap window: nothing now, and so nothing when it returns.
    assert first.on_host_state("h2", "unreachable", error="again") is None
    assert second.on_host_state("h2", "connected") is None

    messages = alerts_channel.wait_for(2, about="host h2")
    assert [m["title"] for m in messages] == ["sdmd: host h2 is unreachable", "sdmd: host h2 is back"]
    assert "connection refused" in messages[0]["message"] and "What to do:" in messages[0]["message"]
    assert "https://sdmd.example.com/hosts/" in messages[0]["message"]
    assert len(alerts_channel.settle(2, about="host h2")) == 2
