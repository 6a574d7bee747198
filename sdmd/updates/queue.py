"""Redis, the RQ queue and the worker process: the plumbing the update jobs ride on."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import socket
import threading
from typing import TYPE_CHECKING, Protocol

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker, worker_registration
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler

from sdmd.errors import UpstreamUnavailable
from sdmd.forked import in_child

if TYPE_CHECKING:
    from sdmd.config import Settings

log = logging.getLogger("sdmd.updates.queue")

_connections: dict[str, Redis] = {}
_guard = threading.Lock()


class QueueSettings(Protocol):
    """What Redis and the queues need of the settings: sdmd.config.Settings, or the scheduler's own
    LoopSettings (sdmd/schedules/scheduler.py), which spare its loop pydantic."""

    @property
    def resolved_redis_url(self) -> str: ...
    @property
    def queue_name(self) -> str: ...
    @property
    def notify_queue_name(self) -> str: ...


def redis_connection(settings: QueueSettings) -> Redis:
    """One client (and pool) per URL per process; redis-py renews its pool after a fork."""
    url = settings.resolved_redis_url
    with _guard:
        conn = _connections.get(url)
        if conn is None:
            conn = _connections[url] = Redis.from_url(url, socket_connect_timeout=3, health_check_interval=30)
        return conn


def update_queue(settings: QueueSettings, conn: Redis | None = None) -> Queue:
    return Queue(settings.queue_name, connection=conn or redis_connection(settings))


def notify_queue(settings: QueueSettings, conn: Redis | None = None) -> Queue:
    """Notification deliveries: a queue of their own, which every worker takes before update jobs."""
    return Queue(settings.notify_queue_name, connection=conn or redis_connection(settings))


def redis_unavailable(exc: Exception) -> UpstreamUnavailable:
    return UpstreamUnavailable("job queue unavailable", f"Redis: {type(exc).__name__}: {exc}")


def workers_listening(settings: QueueSettings, conn: Redis | None = None) -> int:
    try:
        return Worker.count(connection=conn or redis_connection(settings), queue=update_queue(settings, conn))
    except RedisError as exc:
        raise redis_unavailable(exc) from exc


class SdmdWorker(SimpleWorker):
    """sdmd's RQ worker.

    Jobs run in the worker process itself rather than in a fork per job: an update is I/O bound
    and records every failure itself, so a fork's isolation buys little, while a warm Docker
    client, database pool and Redis connection save a few hundred ms per run (see tests/bench).
    Job timeouts still apply (SIGALRM in the main thread).

    It also registers itself again when Redis forgot it (a flush or a restart), so the API's
    "is a worker listening?" check stays true while it is.
    """

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        if pipeline is None and not (self.connection.exists(self.key)
                                     and self.connection.sismember(self.redis_workers_keys, self.key)):
            log.warning("worker %s: registration lost in Redis; registering again", self.name)
            with self.connection.pipeline() as p:
                p.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, p)
                p.execute()
        super().heartbeat(timeout, pipeline)


def _sweep_interrupted(settings: Settings) -> None:
    """A worker that starts records the runs a dead one left `running` (sdmd/updates/cycle.py).

    In a forked child: the sweep needs the database and the update cycle's code, which an idle worker
    would otherwise keep loaded (and resident) until its first job. A failure never keeps the worker
    from starting.
    """
    def sweep() -> int:
        from sdmd.core import Core
        from sdmd.updates.cycle import sweep_interrupted

        with Core(settings) as core:
            sweep_interrupted(core, redis_connection(settings))
        return 0

    in_child(sweep, "recording interrupted update runs")


def run_worker(settings: Settings, *, burst: bool = False) -> int:
    """`sdmd worker`: an RQ worker on sdmd's queue.

    The job modules (sdmd.updates.jobs, sdmd.schedules.jobs, sdmd.notifications.delivery) are not
    imported here: RQ imports them by name on the first job, so an idle worker stays small and this
    module needs neither domain
    (schedules imports updates, never the other way round).
    """
    conn = redis_connection(settings)
    conn.ping()
    _sweep_interrupted(settings)
    queues = [notify_queue(settings, conn), update_queue(settings, conn)]
    retries = RetryScheduler([q.name for q in queues], conn)
    retries.start()
    try:
        return _work(settings, conn, queues, burst)
    finally:
        retries.stop()


def _work(settings: Settings, conn: Redis, queues: list[Queue], burst: bool) -> int:
    attempt = 0
    while True:
        # A new name each round: the old one may still be registered in a Redis that only blinked.
        name = f"sdmd-{socket.gethostname()}-{os.getpid()}" + (f"-{attempt}" if attempt else "")
        # worker_ttl sets how long the worker blocks on the queue between heartbeats (ttl - 15 s).
        # Notifications first: a message is quick, and should not wait behind a queue of update runs.
        worker = SdmdWorker(queues, connection=conn, name=name, worker_ttl=settings.worker_heartbeat_seconds + 15)
        log.info("worker %s listening on queues %s, %s", name, settings.notify_queue_name, settings.queue_name)
        try:
            worker.work(burst=burst, logging_level="INFO")
        except StopRequested:
            return 0
        except RedisError as exc:  # RQ's teardown, after it quit its loop, needs the Redis that went away
            log.warning("worker %s lost Redis: %s", name, exc)
        # SIGTERM/SIGINT while idle: RQ raises StopRequested inside its loop and returns normally; only
        # the shutdown date it records tells a stop from a loop that quit because Redis went away.
        if burst or worker._stop_requested or worker._shutdown_requested_date is not None:
            return 0
        # RQ quits its loop when Redis goes away outside the blocking dequeue (a heartbeat, a maintenance
        # round); a worker is only useful running, so it waits for Redis and starts again.
        if not _wait_for_redis(conn):
            return 0
        attempt += 1


class RetryScheduler:
    """RQ's scheduler in a thread of the worker: it moves retries whose backoff is over (rq.Retry
    intervals, failed notification deliveries) back onto their queue.

    RQ's own `work(with_scheduler=True)` forks a process for this, which holds a second copy of the
    worker's memory; a thread shares it. RQ's locks still let one scheduler per queue move jobs when
    several workers run. Update schedules stay with rq-scheduler (`sdmd scheduler`).
    """

    def __init__(self, queue_names: list[str], conn: Redis, interval: float = 1.0) -> None:
        # RQ's interval only sets its locks' lifetime here (interval + 60 s; redis EXPIRE takes whole seconds).
        self._scheduler = RQScheduler(queue_names, connection=conn, interval=math.ceil(interval))
        self._interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdmd-retry-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(RedisError):  # Redis gone: the locks expire by themselves
            self._scheduler.release_locks()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                if self._scheduler.acquire_locks():  # refreshes the locks it holds, takes free ones
                    self._scheduler.enqueue_scheduled_jobs()
            except RedisError as exc:  # Redis away: the worker's own loop waits for it; try again next tick
                log.debug("retry scheduler: %s", exc)
            except Exception:  # a bad job record must not end retries for good
                log.exception("retry scheduler round failed")


def _wait_for_redis(conn: Redis) -> bool:
    """Until Redis answers (True) or SIGTERM/SIGINT asks the worker to stop (False)."""
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    delay = 1.0
    while not stopping.wait(delay):
        try:
            conn.ping()
            return True
        except RedisError:
            delay = min(delay * 2, 10.0)
    return False
