"""Figures read at scrape time: services, containers and hosts from the Docker listing, update runs
and deliveries from the database, queue depths from Redis. Each part fails on its own: a dead
Docker daemon still leaves the database figures (and says so in sdmd_host_up)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue

from sdmd.core import Core
from sdmd.docker.gateway import PROJECT_LABEL
from sdmd.errors import SdmdError
from sdmd.notifications import repository as notify_repo
from sdmd.notifications.emit import notify_redis
from sdmd.schedules.models import UpdateRun
from sdmd.services import repository as services_repo
from sdmd.services.models import DockerServiceConfig
from sdmd.services.runtime import NOT_DEPLOYED, PARTIAL, RUNNING, STOPPED, group_by_project, overall_status
from sdmd.updates.records import RESULTS

log = logging.getLogger("sdmd.metrics")

LOCAL = "local"
SERVICE_STATES = (RUNNING, PARTIAL, STOPPED, NOT_DEPLOYED, "unknown")
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

    # Until the hosts model lands every service is on the local host; then this reads the model's
    # per-host listing (and its connection states) instead of one local /containers/json.
    def _docker(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("sdmd_host_up", "1 when sdmd is connected to the Docker host", labels=["host"])
        services = GaugeMetricFamily("sdmd_services", "Services by status per host (managed and not)",
                                     labels=["host", "status"])
        containers = GaugeMetricFamily("sdmd_containers", "Compose containers by state per host",
                                       labels=["host", "state"])
        with self.core.db.sessions() as session:
            managed = [c.name for c in services_repo.all_configs(session)]
        try:
            listing = self.core.docker.compose_containers()
        except SdmdError:
            up.add_metric([LOCAL], 0)
            yield up
            services.add_metric([LOCAL, "unknown"], len(managed))
            for status in SERVICE_STATES[:-1]:
                services.add_metric([LOCAL, status], 0)
            yield services
            return
        up.add_metric([LOCAL], 1)
        yield up
        projects = group_by_project(listing)
        by_status = Counter(overall_status(projects.get(name, [])) for name in set(managed) | set(projects))
        for status in SERVICE_STATES:
            services.add_metric([LOCAL, status], by_status.get(status, 0))
        yield services
        by_state = Counter(c.get("State") or "unknown" for c in listing
                           if PROJECT_LABEL in (c.get("Labels") or {}))
        for state in sorted(set(CONTAINER_STATES) | set(by_state)):
            containers.add_metric([LOCAL, state], by_state.get(state, 0))
        yield containers

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
                sa.select(DockerServiceConfig.name, sa.func.max(UpdateRun.finished_at))
                .join(DockerServiceConfig, DockerServiceConfig.id == UpdateRun.service_id)
                .where(UpdateRun.result == "updated").group_by(DockerServiceConfig.name))
            newest = newest.all()
        for result in sorted(set(RESULTS) | set(counts)):
            runs.add_metric([result], counts.get(result, 0))
        yield runs
        for name, finished in newest:
            if finished is not None:
                if finished.tzinfo is None:  # SQLite hands aggregates back without the column's type
                    from datetime import UTC

                    finished = finished.replace(tzinfo=UTC)
                last.add_metric([name, LOCAL], finished.timestamp())
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
