"""GET /metrics: its own bearer token or an API token; the figures a Prometheus scrape gets."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from sdmd.app import create_app
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.db.base import utcnow
from sdmd.schedules.models import UpdateRun
from tests.support import IMAGE_V1, SLEEPER, docker_api, wait_until

TOKEN = "metrics-token-for-tests"


def _families(text: str) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def _value(samples: list, name: str, **labels: str) -> float:
    matches = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(matches) == 1, (name, labels, samples)
    return matches[0]


def test_metrics_needs_the_metrics_token_or_an_api_token(client, anonymous_client, core):
    core.settings.metrics_token = TOKEN
    assert anonymous_client.get("/metrics").status_code == 401
    for bad in ("Bearer wrong", f"Basic {TOKEN}", "Bearer "):
        r = anonymous_client.get("/metrics", headers={"Authorization": bad})
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", bad
    ok = anonymous_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
    assert client.get("/metrics").status_code == 200  # the logged-in client's access token
    core.settings.metrics_token = ""
    assert anonymous_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
    assert client.get("/metrics").status_code == 200


def test_the_figures(client, core, unique_name, redis, settings):
    running = client.post("/api/services", json={"name": unique_name("up"), "image": IMAGE_V1, **SLEEPER}).json()
    stopped = client.post("/api/services", json={"name": unique_name("ex"), "image": IMAGE_V1, **SLEEPER}).json()
    api = docker_api()
    for container in api.containers(filters={"label": f"com.docker.compose.project={stopped['name']}"}):
        api.stop(container["Id"], timeout=5)
    api.close()
    client.get(f"/api/services/{running['id']}")
    client.get(f"/api/services/{stopped['id']}")
    client.get("/api/no/such/route")
    finished = utcnow() - timedelta(minutes=5)
    with core.db.session() as session:
        for result in ("updated", "updated", "rolled_back", "up_to_date"):
            session.add(UpdateRun(service_id=running["id"], mode="update", trigger="manual", result=result,
                                  images=[], started_at=finished - timedelta(seconds=30), finished_at=finished))
    redis.rpush(f"rq:queue:{settings.queue_name}", "job-a", "job-b")

    def scrape_with_the_exit_seen():  # the live model learns of the stop from Docker's events
        families = _families(client.get("/metrics").text)
        stopped = _value(families["sdmd_services"], "sdmd_services", host="local", status="stopped")
        return families if stopped >= 1 else None

    families = wait_until(scrape_with_the_exit_seen, timeout=10, what="the stopped service in the metrics")
    assert _value(families["sdmd_host_up"], "sdmd_host_up", host="local") == 1
    assert _value(families["sdmd_host_state"], "sdmd_host_state", host="local", state="connected") == 1
    services = families["sdmd_services"]
    assert _value(services, "sdmd_services", host="local", status="running") >= 1
    assert _value(services, "sdmd_services", host="local", status="stopped") >= 1
    assert _value(families["sdmd_containers"], "sdmd_containers", host="local", state="running") >= 1
    runs = families["sdmd_update_runs"]
    assert _value(runs, "sdmd_update_runs_total", result="updated") == 2
    assert _value(runs, "sdmd_update_runs_total", result="rolled_back") == 1
    assert _value(runs, "sdmd_update_runs_total", result="error") == 0
    last = families["sdmd_service_last_update_success_timestamp_seconds"]
    assert abs(_value(last, "sdmd_service_last_update_success_timestamp_seconds", service=running["name"],
                      host="local") - finished.timestamp()) < 1
    assert _value(families["sdmd_queue_jobs"], "sdmd_queue_jobs", queue=settings.queue_name) == 2
    assert _value(families["sdmd_queue_jobs"], "sdmd_queue_jobs", queue=settings.notify_queue_name) == 0
    assert _value(families["sdmd_redis_up"], "sdmd_redis_up") == 1

    latency = families["sdmd_http_request_duration_seconds"]
    routes = {s.labels["route"] for s in latency if s.name.endswith("_count")}
    assert "/api/services/{service_id}" in routes and "<unmatched>" in routes
    assert not any(running["id"] in r for r in routes)  # templates, never raw paths
    assert _value(latency, "sdmd_http_request_duration_seconds_count", method="GET",
                  route="/api/services/{service_id}", status="200") == 2
    again = _families(client.get("/metrics").text)["sdmd_http_request_duration_seconds"]
    assert _value(again, "sdmd_http_request_duration_seconds_count", method="GET", route="/metrics",
                  status="200") >= 1  # scrapes are timed too (each after its own answer)


def test_docker_or_redis_down_still_answers_with_what_it_knows(tmp_path, database_url):
    settings = Settings(data_dir=tmp_path / "data", stacks_dir=tmp_path / "stacks", database_url=database_url,
                        docker_host=f"unix://{tmp_path}/no-docker.sock", redis_url=f"unix://{tmp_path}/no-redis.sock",
                        gitops_watch=False, metrics_token=TOKEN, host_timeout_seconds=1.0)
    core = Core(settings)
    settings.ensure_dirs()
    core.db.migrate()
    try:
        with TestClient(create_app(core=core)) as anonymous:
            r = anonymous.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        core.close()
    assert r.status_code == 200
    families = _families(r.text)
    assert _value(families["sdmd_host_up"], "sdmd_host_up", host="local") == 0
    assert _value(families["sdmd_host_state"], "sdmd_host_state", host="local", state="connected") == 0
    assert _value(families["sdmd_redis_up"], "sdmd_redis_up") == 0
    assert "sdmd_update_runs" in families and "sdmd_queue_jobs" not in families
