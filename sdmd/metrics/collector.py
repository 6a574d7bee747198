"""Figures read at scrape time: services, containers and hosts from the live host model, update runs
and deliveries from the database, queue depths from Redis. Each part fails on its own: a dead
Docker host still leaves the others' figures and the database's (and says so in sdmd_host_up)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import UTC

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue

from sdmd.core import Core
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.hosts import reader
from sdmd.hosts.watcher import STATES as HOST_STATES
from sdmd.notifications import repository as notify_repo
from sdmd.notifications.emit import notify_redis
from sdmd.schedules.models import UpdateRun
from sdmd.services import repository as services_repo
from sdmd.services.models import DockerServiceConfig
from sdmd.services.runtime import NOT_DEPLOYED, PARTIAL, RUNNING, STOPPED, UNKNOWN, group_by_project, overall_status
from sdmd.updates.records import RESULTS

log = logging.getLogger("sdmd.metrics")

SERVICE_STATES = (RUNNING, PARTIAL, STOPPED, NOT_DEPLOYED, UNKNOWN)
CONTAINER_STATES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")


class SdmdCollector(Collector):
    def __init__(self, core: Core) -> None:
        self.core = core

    def describe(self) -> list[Metric]:
        # Without this the registry would run a whole collect() when the collector is registered.
        return []

    def collect(self) -> Iterator[Metric]:
        for part in (self._docker, self._updates, self._queues, self._deliveries):
            try:
                yield from part()
            except Exception:  # one broken part must not cost the scrape the others
                log.exception("metrics: %s failed", part.__name__)

    def _docker(self) -> Iterator[Metric]:
        """Per host, from the live model in the API process (no Docker call), else one listing per host."""
        up = GaugeMetricFamily("sdmd_host_up", "1 when sdmd is connected to the Docker host", labels=["host"])
        state = GaugeMetricFamily("sdmd_host_state", "1 for the host's current connection state",
                                  labels=["host", "state"])
        services = GaugeMetricFamily("sdmd_services", "Services by status per host (managed and not)",
                                     labels=["host", "status"])
        containers = GaugeMetricFamily("sdmd_containers", "Compose containers by state per host",
                                       labels=["host", "state"])
        with self.core.db.sessions() as session:
            managed: dict[str, set[str]] = {}
            for config in services_repo.all_configs(session):
                managed.setdefault(config.host, set()).add(config.name)
        views = reader.views(self.core)
        for host in sorted(set(views) | set(managed)):
            view = views.get(host)
            connected = view is not None and view.connected
            up.add_metric([host], 1 if connected else 0)
            current = view.state if view is not None else reader.MISSING
            for name in (*HOST_STATES, reader.MISSING):
                state.add_metric([host, name], 1 if name == current else 0)
            names = managed.get(host, set())
            if not connected:
                by_status = Counter({UNKNOWN: len(names)})
                by_state: Counter[str] = Counter()
            else:
                projects = group_by_project(view.containers)
                by_status = Counter(overall_status(projects.get(name, [])) for name in names | set(projects))
                by_state = Counter(c.get("State") or "unknown" for c in view.containers
                                   if PROJECT_LABEL in (c.get("Labels") or {}))
            for status in SERVICE_STATES:
                services.add_metric([host, status], by_status.get(status, 0))
            for name in sorted(set(CONTAINER_STATES) | set(by_state)):
                containers.add_metric([host, name], by_state.get(name, 0))
        yield from (up, state, services, containers)

    def _updates(self) -> Iterator[Metric]:
        runs = CounterMetricFamily("sdmd_update_runs", "Update runs by outcome (the runs kept in the database)",
                                   labels=["result"])
        last = GaugeMetricFamily("sdmd_service_last_update_success_timestamp_seconds",
                                 "When each service was last updated successfully (Unix time)",
                                 labels=["service", "host"])
        with self.core.db.sessions() as session:
            counts = dict(session.execute(sa.select(UpdateRun.result, sa.func.count())
                                          .group_by(UpdateRun.result)).all())
            newest = session.execute(
                sa.select(DockerServiceConfig.name, DockerServiceConfig.host, sa.func.max(UpdateRun.finished_at))
                .join(DockerServiceConfig, DockerServiceConfig.id == UpdateRun.service_id)
                .where(UpdateRun.result == "updated").group_by(DockerServiceConfig.name, DockerServiceConfig.host))
            newest = newest.all()
        for result in sorted(set(RESULTS) | set(counts)):
            runs.add_metric([result], counts.get(result, 0))
        yield runs
        for name, host, finished in newest:
            if finished is not None:
                if finished.tzinfo is None:  # SQLite hands aggregates back without the column's type
                    finished = finished.replace(tzinfo=UTC)
                last.add_metric([name, host], finished.timestamp())
        yield last

    def _queues(self) -> Iterator[Metric]:
        settings = self.core.settings
        redis_up = GaugeMetricFamily("sdmd_redis_up", "1 when Redis (the job queue) answers")
        depth = GaugeMetricFamily("sdmd_queue_jobs", "Jobs waiting in each RQ queue", labels=["queue"])
        conn = notify_redis(settings)
        try:
            sizes = {name: Queue(name, connection=conn).count
                     for name in (settings.queue_name, settings.notify_queue_name)}
        except RedisError:
            redis_up.add_metric([], 0)
            yield redis_up
            return
        redis_up.add_metric([], 1)
        yield redis_up
        for name, size in sizes.items():
            depth.add_metric([name], size)
        yield depth

    def _deliveries(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("sdmd_notification_deliveries", "Notification deliveries kept, by status",
                                  labels=["status"])
        with self.core.db.sessions() as session:
            counts = notify_repo.counts_by_status(session)
        for status in notify_repo.STATUSES:
            gauge.add_metric([status], counts.get(status, 0))
        yield gauge
