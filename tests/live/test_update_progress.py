"""Update now with `Accept: text/event-stream`: the run happens in a real `sdmd worker` process; its events
cross to the API through a Redis stream keyed by the job id and reach the client as they happen."""

from __future__ import annotations

import json

import pytest

from sdmd.live.progress import job_events_key
from tests.live.conftest import Live, read_events
from tests.schedules.conftest import (  # noqa: F401 (fixtures)
    processes,
    redis,
    redis_socket,
    redis_url,
    settings,
    upstream,
)
from tests.support import IMAGE_V1, IMAGE_V2, SLEEPER

pytestmark = pytest.mark.slow


def test_update_now_streams_the_workers_steps_and_gate(live: Live, unique_name, upstream, processes,  # noqa: F811
                                                      redis) -> None:  # noqa: F811
    repo = upstream("live")
    v1 = repo.build(IMAGE_V1)
    repo.publish(v1)
    with live.client() as c:
        created = c.post("/api/services", json={"name": unique_name("u"), "image": repo.ref, **SLEEPER})
        assert created.status_code == 201, created.text
        service = created.json()
        processes.worker()
        repo.publish_remote_only(repo.build(IMAGE_V2, "RUN dd if=/dev/urandom of=/blob bs=1024 count=2000"),
                                 keep_local=v1)
        with c.stream("POST", f"/api/services/{service['id']}/update", headers={"Accept": "text/event-stream"}) as r:
            assert r.status_code == 200
            events = list(read_events(r))
    kinds = [(e.data.get("kind"), e.data.get("status") or e.data.get("message")) for e in events[:-1]]
    assert kinds[0][0] == "accepted" and ("job", "queued") in kinds and ("job", "started") in kinds
    assert any(k == "step" and m.startswith("Pulling 1 image") for k, m in kinds)
    assert any(k == "layer" and m == "Pull complete" for k, m in kinds)
    assert any(k == "step" and m.startswith("Recreating what changed") for k, m in kinds)
    assert ("compose", "Recreate") in kinds and ("compose", "Started") in kinds
    gate = [e.data for e in events if e.data.get("kind") == "gate"]
    assert gate[0]["status"] == "waiting" and "no healthcheck" in gate[0]["waiting"][0]
    assert gate[-1] == {**gate[-1], "status": "passed", "reason": None}
    order = [k for k, _ in kinds]
    assert order.index("layer") < order.index("gate")  # in the order they happened
    final = events[-1]
    assert final.event == "result" and final.data["body"]["run"]["result"] == "updated", final.data
    # the worker's events stay readable for a day under the job's key, ending with its end marker
    job_id = final.data["body"]["job_id"]
    stored = [json.loads(fields[b"e"]) for _, fields in redis.xrange(job_events_key(job_id))]
    assert stored[-1]["kind"] == "end" and 0 < redis.ttl(job_events_key(job_id)) <= 86400


def test_a_rollback_ends_with_the_gates_reason(live: Live, unique_name, upstream, processes) -> None:  # noqa: F811
    repo = upstream("liveb")
    repo.publish(IMAGE_V1)
    with live.client() as c:
        service = c.post("/api/services", json={"name": unique_name("b"), "image": repo.ref, **SLEEPER}).json()
        processes.worker()
        repo.publish_remote_only(repo.build(IMAGE_V1, 'ENTRYPOINT ["false"]'), keep_local=IMAGE_V1)
        with c.stream("POST", f"/api/services/{service['id']}/update", headers={"Accept": "text/event-stream"}) as r:
            events = list(read_events(r))
    gate = [e.data for e in events if e.data.get("kind") == "gate"]
    assert gate[-1]["status"] == "failed" and "exit code 1" in gate[-1]["reason"]
    steps = [e.data["message"] for e in events if e.data.get("kind") == "step"]
    assert "Rolling back to the previous images" in steps
    run = events[-1].data["body"]["run"]
    assert run["result"] == "rolled_back" and "exit code 1" in run["reason"]
