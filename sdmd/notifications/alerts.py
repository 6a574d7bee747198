"""Container and host alerts, from the live host model's change feed (sdmd/hosts/feed.py).

`AlertConsumer` takes the feed's changes on a thread of its own and hands each raw Docker event of a
container to `AlertRules.on_container_event(host, event)`, each change of a host's connection to
`on_host_state(host, state, error=...)`. It runs in the process that runs the model (the API; see
`watching`). The rules:

- died: a `die` with a non-zero exit code, unless a `kill` came first (someone stopped it: sdmd's
  compose down/restart/recreate, `docker stop`, `docker kill`) or the service's update run holds its
  lock (the health gate judges that container; the run reports the outcome itself).
- restart loop: SDMD_NOTIFY_RESTART_LOOP_COUNT such unrequested `die`s of one container (any exit
  code) within SDMD_NOTIFY_RESTART_LOOP_MINUTES.
- unhealthy: a `health_status: unhealthy`, outside an update run.
- host unreachable, and back once connected again (only after an unreachable alert went out).

Each kind fires at most once per container (or host) per SDMD_NOTIFY_FLAP_WINDOW_SECONDS.

Every decision that must happen once is taken in Redis with atomic commands (an event is claimed by
SET NX on its host, container id, time and action; windows are SET NX EX; restarts a sorted set keyed
by event time). So any number of processes may feed the same events (several API processes each
with its model) and every alert still goes out exactly once, with no leader to elect or fail over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from redis import Redis
from redis.exceptions import RedisError

from sdmd.docker.gateway import PROJECT_LABEL, SERVICE_LABEL
from sdmd.hosts.feed import Change, ChangeFeed, HostStateChange
from sdmd.notifications.emit import emit, notify_redis
from sdmd.notifications.events import Event, message, page_link, service_link

if TYPE_CHECKING:
    from sdmd.core import Core

log = logging.getLogger("sdmd.notifications.alerts")

PREFIX = "sdmd:alert:"
SEEN_SECONDS = 3600
KILL_SECONDS = 120  # a stop's die follows its kill within the stop timeout (compose's default is 10 s)

UNREACHABLE, CONNECTED, RECONNECTING = "unreachable", "connected", "reconnecting"


def _attrs(event: Mapping[str, Any]) -> dict[str, Any]:
    actor = event.get("Actor") or event.get("actor") or {}
    return dict(actor.get("Attributes") or actor.get("attributes") or {})


def _event_nanos(event: Mapping[str, Any]) -> int:
    if event.get("timeNano"):
        return int(event["timeNano"])
    return int(float(event.get("time") or 0) * 1_000_000_000)


class AlertRules:
    """The consumer of the host model's events. Thread-safe (state lives in Redis), cheap to build."""

    def __init__(self, core: Core, redis: Redis | None = None) -> None:
        self.core = core
        self.redis = redis or notify_redis(core.settings)

    # -- containers ---------------------------------------------------------------------------
    def on_container_event(self, host: str, event: Mapping[str, Any]) -> Event | None:
        """Returns the alert emitted, if any. Never raises: a broken rule must not stop the stream."""
        try:
            return self._container_event(host, event)
        except RedisError as exc:
            log.warning("container alert rules need Redis (%s); event from %s dropped", exc, host)
        except Exception:
            log.exception("container alert rules failed on an event from %s", host)
        return None

    def _container_event(self, host: str, event: Mapping[str, Any]) -> Event | None:
        if (event.get("Type") or event.get("type")) != "container":
            return None
        action = str(event.get("Action") or event.get("action") or event.get("status") or "")
        attrs = _attrs(event)
        project = attrs.get(PROJECT_LABEL)
        actor = event.get("Actor") or event.get("actor") or {}
        container_id = str(actor.get("ID") or actor.get("id") or event.get("id") or "")
        if not project or not container_id:
            return None  # sdmd's services are compose projects; other containers are not its business
        kind = action.split(":", 1)[0].strip()
        if kind not in ("kill", "die", "health_status"):
            return None
        nanos = _event_nanos(event)
        claim = f"{PREFIX}seen:{host}:{container_id}:{nanos}:{action}"
        if not self.redis.set(claim, "1", nx=True, ex=SEEN_SECONDS):
            return None  # another process (or a replayed stream) handled this very event
        name = str(attrs.get("name") or container_id[:12])
        stop_key = f"{PREFIX}stopping:{host}:{container_id}"
        if kind == "kill":
            self.redis.set(stop_key, str(attrs.get("signal") or ""), ex=KILL_SECONDS)
            return None
        if kind == "die":
            if self.redis.delete(stop_key):
                return None  # stopped on purpose, by sdmd or a person
            if self._updating(project):
                return None
            code = int(attrs.get("exitCode") or 0)
            restarts = self._count_restart(host, name, nanos)
            if restarts >= self.core.settings.notify_restart_loop_count:
                if self._first_in_window(host, name, "restart_loop"):
                    return self._send(self._restart_loop(host, project, attrs, name, restarts, code))
                return None
            if code != 0 and self._first_in_window(host, name, "died"):
                return self._send(self._died(host, project, attrs, name, code))
            return None
        status = action.split(":", 1)[1].strip() if ":" in action else str(attrs.get("health_status") or "")
        if status == "unhealthy" and not self._updating(project) and self._first_in_window(host, name, "unhealthy"):
            return self._send(self._unhealthy(host, project, attrs, name))
        return None

    def _count_restart(self, host: str, name: str, nanos: int) -> int:
        key = f"{PREFIX}dies:{host}:{name}"
        window_ns = int(self.core.settings.notify_restart_loop_minutes * 60 * 1_000_000_000)
        with self.redis.pipeline() as p:
            p.zadd(key, {str(nanos): nanos})
            p.zremrangebyscore(key, 0, nanos - window_ns)
            p.zcard(key)
            p.expire(key, int(window_ns / 1_000_000_000) + 60)
            return int(p.execute()[2])

    def _first_in_window(self, scope: str, name: str, kind: str) -> bool:
        window = self.core.settings.notify_flap_window_seconds
        return bool(self.redis.set(f"{PREFIX}flap:{scope}:{name}:{kind}", "1", nx=True, ex=window))

    def _updating(self, project: str) -> bool:
        """The service's update run holds its lock: the health gate watches its new containers."""
        from sdmd.services import repository as services_repo
        from sdmd.updates.cycle import lock_key

        with self.core.db.sessions() as session:
            config = services_repo.get_by_name(session, project)
        return config is not None and bool(self.redis.exists(lock_key(config.id)))

    def _service(self, project: str) -> tuple[str, str | None]:
        from sdmd.services import repository as services_repo

        with self.core.db.sessions() as session:
            config = services_repo.get_by_name(session, project)
        service_id = config.id if config else f"ext_{project}"
        return project, service_link(self.core.settings, service_id)

    def _send(self, event: Event) -> Event:
        emit(self.core, event)
        return event

    def _died(self, host: str, project: str, attrs: dict[str, Any], name: str, code: int) -> Event:
        service, link = self._service(project)
        part = attrs.get(SERVICE_LABEL)
        what = (f"Container {name} (compose service {part}) of {service} exited with code {code}, "
                "without being stopped by sdmd or a user.")
        todo = ("read its logs on the service page for the cause, fix it, then restart the service; if it "
                "started after an update, roll back to the previous image.")
        if code == 137:
            todo = "it was killed (code 137: often out of memory): raise its memory limit or find the leak; " + todo
        return Event("container.died", f"{service} on {host}: {name} exited with code {code}",
                     message(what=what, todo=todo, service=service, host=host, link=link,
                             details=f"image {attrs.get('image')}"), service, host, link)

    def _restart_loop(self, host: str, project: str, attrs: dict[str, Any], name: str, restarts: int,
                      code: int) -> Event:
        service, link = self._service(project)
        minutes = self.core.settings.notify_restart_loop_minutes
        what = (f"Container {name} of {service} is in a restart loop: it stopped {restarts} times within "
                f"{minutes:g} minutes (last exit code {code}).")
        todo = ("read its logs for the crash; fix the configuration or roll back the image. Stop the service "
                "meanwhile if the restarts do harm.")
        return Event("container.restart_loop", f"{service} on {host}: {name} is in a restart loop",
                     message(what=what, todo=todo, service=service, host=host, link=link,
                             details=f"image {attrs.get('image')}"), service, host, link)

    def _unhealthy(self, host: str, project: str, attrs: dict[str, Any], name: str) -> Event:
        service, link = self._service(project)
        what = f"Container {name} of {service} turned unhealthy: its healthcheck keeps failing."
        todo = ("look at the healthcheck's output (docker inspect, State.Health) and the logs; restart the "
                "service, or roll back if it began with an update.")
        return Event("container.unhealthy", f"{service} on {host}: {name} is unhealthy",
                     message(what=what, todo=todo, service=service, host=host, link=link,
                             details=f"image {attrs.get('image')}"), service, host, link)

    # -- hosts ----------------------------------------------------------------------------------
    def on_host_state(self, host: str, state: str, *, error: str | None = None) -> Event | None:
        """`state` is connected, reconnecting or unreachable. Never raises."""
        try:
            return self._host_state(host, state, error)
        except RedisError as exc:
            log.warning("host alert rules need Redis (%s); %s %s dropped", exc, host, state)
        except Exception:
            log.exception("host alert rules failed for %s", host)
        return None

    def _host_state(self, host: str, state: str, error: str | None) -> Event | None:
        key = f"{PREFIX}host-down:{host}"
        link = page_link(self.core.settings, "hosts")
        if state == UNREACHABLE:
            if not self.redis.set(key, "1", nx=True):
                return None  # already reported down
            if not self._first_in_window("host", host, "unreachable"):
                self.redis.delete(key)  # flapping: stay quiet now, and say nothing when it comes back
                return None
            what = (f"sdmd cannot reach the Docker host {host}: {error or 'no answer'}. Its services show as "
                    "unknown and cannot be changed until it is back.")
            todo = ("check the machine, its Docker daemon (systemctl status docker) and the path to it "
                    "(network, SSH key, TLS certificates); sdmd reconnects by itself.")
            return self._send(Event("host.unreachable", f"sdmd: host {host} is unreachable", message(
                what=what, todo=todo, service=None, host=host, link=link), None, host, link))
        if state == CONNECTED and self.redis.delete(key):
            what = f"The Docker host {host} is connected again; sdmd has re-read its containers."
            todo = "check that its services came back as expected (the services list, filtered by host)."
            return self._send(Event("host.back", f"sdmd: host {host} is back", message(
                what=what, todo=todo, service=None, host=host, link=link), None, host, link))
        return None


class AlertConsumer:
    """Feeds the rules from the model. The feed calls its subscribers on the watchers' threads, which
    must never block; the rules make Redis and database calls, so they get a queue and a thread."""

    def __init__(self, core: Core, feed: ChangeFeed, rules: AlertRules | None = None) -> None:
        self.rules = rules or AlertRules(core)
        self._subscription = feed.subscribe_queue(maxsize=10000)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdmd-alerts", daemon=True)
        self.handled = 0

    def start(self) -> AlertConsumer:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._subscription.close()
        self._thread.join(timeout)

    @property
    def dropped(self) -> int:
        return self._subscription.dropped

    def _run(self) -> None:
        while not self._stop.is_set():
            change = self._subscription.get(timeout=0.5)
            if change is not None:
                self.handle(change)

    def handle(self, change: Change) -> Event | None:
        self.handled += 1
        if isinstance(change, HostStateChange):
            return self.rules.on_host_state(change.host, change.state, error=change.error)
        if change.event is None:
            # A "resync" after a reconnect: the container changed while the stream was down; which
            # events it missed is unknown, so nothing is claimed about them.
            return None
        return self.rules.on_container_event(change.host, change.event)


@contextmanager
def watching(core: Core) -> Iterator[AlertConsumer | None]:
    """For the API's lifespan: alerts from the live model, when this process runs one."""
    if core.live is None:
        yield None
        return
    consumer = AlertConsumer(core, core.live.feed).start()
    try:
        yield consumer
    finally:
        consumer.stop()
