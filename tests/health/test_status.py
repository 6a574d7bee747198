"""/api/health/status: counts by state and health, the troubled containers first, in words."""

from __future__ import annotations

from sdmd.health.status import problem_of
from tests.support import IMAGE_V1, SLEEPER, wait_until


def test_counts_and_the_troubled_containers_first(client, unique_name):
    name = unique_name("health")
    r = client.post("/api/services", json={"name": name, "services": {
        "ok": {"image": IMAGE_V1, **SLEEPER},
        "sick": {"image": IMAGE_V1, **SLEEPER, "healthcheck": {"test": ["CMD", "false"], "interval": "1s",
                                                                "retries": 1, "timeout": "1s"}},
        "loop": {"image": IMAGE_V1, "command": ["sh", "-c", "exit 3"], "restart": "always"},
    }})
    assert r.status_code == 201, r.text

    def mine() -> list[dict]:
        body = client.get("/api/health/status").json()
        return [c for c in body["containers"] if c["service_name"] == name]

    def settled() -> list[dict] | None:
        found = mine()
        problems = {c["compose_service"]: c["problem"] for c in found}
        return found if problems.get("sick") == "unhealthy" and problems.get("loop") == "restarting" else None

    found = wait_until(settled, timeout=60, interval=0.5, what="an unhealthy and a restarting container")
    assert [c["compose_service"] for c in found] == ["sick", "loop", "ok"]  # worst first
    assert found[2]["problem"] is None and found[2]["state"] == "running"
    assert all(c["service_id"].startswith("svc_") and c["managed"] for c in found)

    body = client.get("/api/health/status").json()
    counts = body["counts"]
    assert counts["problems"] >= 2
    assert counts["containers"].get("running", 0) >= 2 and counts["health"].get("unhealthy", 0) >= 1
    assert set(counts["services"]) == {"running", "partial", "stopped", "not_deployed", "unknown"}
    assert counts["services"]["unknown"] == 0  # only a host that is not connected makes services unknown
    assert {"id", "name", "status", "host"} <= set(body["services"][0]) and body["checked_at"]
    assert {h["name"]: h["state"] for h in body["hosts"]} == {"local": "connected"}
    assert {c["host"] for c in body["containers"]} == {"local"}
    # The troubled containers of every service come before any healthy one.
    ranks = [problem_of(c)[0] for c in body["containers"]]
    assert ranks == sorted(ranks)


def test_problem_words():
    assert problem_of({"state": "exited", "status": "Exited (137) 2 seconds ago"}) == (3, "exited with code 137")
    assert problem_of({"state": "exited", "status": "Exited (0) 1 hour ago"}) == (6, "stopped")
    assert problem_of({"state": "running", "health": "starting"})[1] == "health check starting"
    assert problem_of({"state": "running", "health": "healthy"}) == (7, None)
