"""Stats: live CPU, memory, network and block I/O per container, per compose service and per service, from
Docker's stats streams, which are open only while someone watches and shared by everyone who does."""

from __future__ import annotations

import threading

from sdmd.live.stats import sample, totals
from tests.live.conftest import TICKER, Live, read_events
from tests.support import IMAGE_V1, wait_until

SSE = {"Accept": "text/event-stream"}
BUSY = {"image": IMAGE_V1, "init": True, "command": ["sh", "-c", "while true; do :; done"]}


def stats_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("sdmd-live-stats-")]


def test_service_stats_per_container_service_and_total(live: Live, unique_name) -> None:
    name = unique_name("s")
    svc = live.create(name, {"busy": BUSY, "app": TICKER})
    with live.client() as c, c.stream("GET", f"/api/services/{svc['id']}/stats", headers=SSE) as r:
        assert r.status_code == 200
        reader = read_events(r, until="end", limit=60)  # kept: a dropped reader closes its stream
        events = [next(reader) for _ in range(3)]
        assert len(live.runtime.stats.feeds) == 2 and len(stats_threads()) == 2
    last = events[-1].data
    assert [row["service"] for row in last["containers"]] == ["app", "busy"]
    busy = next(row for row in last["containers"] if row["service"] == "busy")
    assert busy["cpu_percent"] > 5 and busy["memory_bytes"] > 0 and busy["memory_limit"] > busy["memory_bytes"]
    assert busy["pids"] >= 1 and busy["net_rx_bytes"] >= 0 and "blk_read_rate" in busy
    assert set(last["compose_services"]) == {"app", "busy"} and last["compose_services"]["busy"]["containers"] == 1
    total = last["by_service"][svc["id"]]
    assert (total["name"], total["host"], total["containers"]) == (name, "local", 2)
    assert abs(total["cpu_percent"] - sum(row["cpu_percent"] for row in last["containers"])) < 0.05
    # nobody watches any more: Docker's stats streams and their threads are gone
    wait_until(lambda: not live.runtime.stats.feeds and not stats_threads(), timeout=10,
               what="the stats streams to close")


def test_watchers_share_one_docker_stream_per_container(live: Live, unique_name) -> None:
    name = unique_name("w")
    created = live.create(name)
    with live.client() as a, live.client() as b, \
            a.stream("GET", f"/api/services/{name}/stats", headers=SSE) as one, \
            b.stream("GET", "/api/stats", params={"service": name}, headers=SSE) as two:
        readers = [read_events(one, until="end"), read_events(two, until="end")]  # kept: a dropped reader
        first, second = (next(e for e in reader if e.event == "stats") for reader in readers)  # closes its stream
        assert len(live.runtime.stats.feeds) == 1 and len(stats_threads()) == 1
        assert "containers" in first.data and "containers" not in second.data  # the list's lighter form
        assert second.data["by_service"][created["id"]]["memory_bytes"] > 0
    wait_until(lambda: not stats_threads(), timeout=10, what="the shared stream to close")


def test_sample_arithmetic() -> None:
    raw = {"cpu_stats": {"cpu_usage": {"total_usage": 3_000_000}, "system_cpu_usage": 20_000_000, "online_cpus": 2},
           "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000}, "system_cpu_usage": 10_000_000},
           "memory_stats": {"usage": 10_000, "limit": 100_000, "stats": {"inactive_file": 2_000}},
           "networks": {"eth0": {"rx_bytes": 500, "tx_bytes": 100}, "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
           "blkio_stats": {"io_service_bytes_recursive": [{"op": "read", "value": 4096}, {"op": "Write", "value": 8}]},
           "pids_stats": {"current": 3}}
    first = sample(raw)
    assert first["cpu_percent"] == 40.0 and first["memory_bytes"] == 8_000 and first["memory_percent"] == 8.0
    assert (first["net_rx_bytes"], first["net_tx_bytes"], first["blk_read_bytes"], first["blk_write_bytes"]) == \
        (1000, 100, 4096, 8)
    later = sample({**raw, "networks": {"eth0": {"rx_bytes": 3000, "tx_bytes": 100}}}, first, 2.0)
    assert later["net_rx_rate"] == 1000.0 and later["net_tx_rate"] == 0.0
    assert totals([first, later])["memory_bytes"] == 16_000 and totals([first, later])["containers"] == 2
    assert sample({})["cpu_percent"] == 0.0  # a stopped container's empty document


def test_the_lists_stream_names_every_service_by_its_id(live: Live, unique_name, tmp_path) -> None:
    from tests.support import compose

    name, outsider = unique_name("l"), unique_name("x")
    svc = live.create(name)
    (tmp_path / "compose.yaml").write_text(f"services:\n  a:\n    image: {IMAGE_V1}\n    command: [sleep, '300']\n"
                                           "    init: true\n")
    compose(outsider, str(tmp_path), "up", "-d")
    with live.client() as c, c.stream("GET", "/api/stats", headers=SSE) as r:
        reader = read_events(r, until="end", limit=60)
        by_service = {}
        while svc["id"] not in by_service or f"ext_{outsider}" not in by_service:
            by_service = next(e for e in reader if e.event == "stats").data["by_service"]
    assert by_service[svc["id"]]["name"] == name and by_service[f"ext_{outsider}"]["name"] == outsider
