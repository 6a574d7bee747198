"""Benchmark: sdmd's live streams beside Docker's own streams, measured in the same run.

Run: .venv/bin/python -m tests.bench.bench_live [--runs 20]
Not part of the test suite (the browser figures come from tests/web/test_live.py). A real `sdmd serve`
in a subprocess, one compose service made for the run and removed after.

1. Progress: POST /api/services/{id}/restart with `Accept: text/event-stream`, time to the first event,
   against the same restart answered plainly (what a client waited for before any feedback).
2. Log line: a line written into the container's stdout, until it arrives on GET .../logs (SSE), against
   Docker's own follow stream (/containers/{id}/logs?follow=1) reading the same line.
3. State push: `docker kill` through the API, until GET /api/events says the container exited, against
   Docker's own /events stream reporting the `die`.
4. Stats: time to the first `stats` event of GET .../stats, against Docker's own first stats document.
Every figure is printed, met or not.
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
from collections.abc import Iterator

import httpx

from tests.bench.common import docker_raw, median, ms, p95, sdmd_server

IMAGE = "127.0.0.1:5000/sdmd-test/app:1"
SSE = {"Accept": "text/event-stream"}


def events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(event name, data) of a server-sent event stream, as they arrive."""
    name, data = "message", []
    for line in response.iter_lines():
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def docker_lines(response: httpx.Response) -> Iterator[str]:
    """Docker's multiplexed log stream (no TTY): 8-byte frame headers, then the payload."""
    buffer = b""
    for chunk in response.iter_bytes():
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            payload, buffer = buffer[8:8 + size], buffer[8 + size:]
            yield from payload.decode(errors="replace").splitlines()


def write_line(docker: httpx.Client, container: str, text: str) -> float:
    """Writes `text` to the container's stdout through an exec; returns when it was written."""
    exec_id = docker.post(f"/containers/{container}/exec", json={
        "Cmd": ["sh", "-c", f"echo {text} > /proc/1/fd/1"], "AttachStdout": False}).json()["Id"]
    started = time.perf_counter()
    docker.post(f"/exec/{exec_id}/start", json={"Detach": True}).raise_for_status()
    return started


def wait_for(predicate_stream: Iterator, match, timeout: float = 20.0) -> float:
    deadline = time.monotonic() + timeout
    for item in predicate_stream:
        if match(item):
            return time.perf_counter()
        if time.monotonic() > deadline:
            break
    raise RuntimeError("timed out")


def bench_progress(client: httpx.Client, sid: str, runs: int) -> None:
    first, plain = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with client.stream("POST", f"/api/services/{sid}/restart", headers=SSE) as r:
            stream = events(r)
            next(stream)
            first.append(time.perf_counter() - started)
            for name, _ in stream:
                if name in ("result", "error"):
                    break
        started = time.perf_counter()
        client.post(f"/api/services/{sid}/restart").raise_for_status()
        plain.append(time.perf_counter() - started)
    print(f"progress: first event median {ms(median(first))} p95 {ms(p95(first))}; the plain restart's answer "
          f"median {ms(median(plain))} (first feedback {median(plain) / median(first):.0f}x sooner)")


def bench_logs(client: httpx.Client, docker: httpx.Client, sid: str, container: str, runs: int) -> None:
    ours, theirs = [], []
    with client.stream("GET", f"/api/services/{sid}/logs", params={"tail": 1}, headers=SSE) as r, \
            docker.stream("GET", f"/containers/{container}/logs",
                          params={"follow": 1, "stdout": 1, "stderr": 1, "tail": 0}, timeout=None) as d:
        ours_stream = events(r)
        next(ours_stream)  # the backlog
        theirs_stream = docker_lines(d)
        for i in range(runs):
            marker = f"bench-line-{i}-{secrets.token_hex(3)}"
            got: dict[str, float] = {}
            reader = threading.Thread(target=lambda m=marker, into=got: into.__setitem__("docker", wait_for(
                theirs_stream, lambda line: m in line)))
            reader.start()
            written = write_line(docker, container, marker)
            arrived = wait_for(ours_stream, lambda e, m=marker: e[0] == "lines" and any(
                m in line["message"] for line in e[1]["lines"]))
            reader.join(timeout=20)
            ours.append(arrived - written)
            theirs.append(got["docker"] - written)
    print(f"log line: sdmd SSE median {ms(median(ours))} p95 {ms(p95(ours))}; Docker's follow stream median "
          f"{ms(median(theirs))} (ratio {median(ours) / median(theirs):.2f})")


def bench_state(client: httpx.Client, docker: httpx.Client, sid: str, name: str, container: str, runs: int) -> None:
    ours, theirs = [], []
    for _ in range(runs):
        with client.stream("GET", "/api/events", headers=SSE) as r, \
                docker.stream("GET", "/events", params={"filters": json.dumps({"container": [container],
                                                                                "event": ["die"]})},
                              timeout=None) as d:
            stream = events(r)
            assert next(stream)[0] == "ready"
            got: dict[str, float] = {}

            def docker_die(into: dict[str, float] = got, stream: httpx.Response = d) -> None:
                for _line in stream.iter_lines():
                    into["docker"] = time.perf_counter()
                    return

            reader = threading.Thread(target=docker_die)
            reader.start()
            time.sleep(0.1)  # both subscriptions are in place
            killed = time.perf_counter()
            docker.post(f"/containers/{container}/kill").raise_for_status()
            arrived = wait_for(stream, lambda e: e[0] == "container" and e[1]["project"] == name and (
                e[1]["container"] or {}).get("state") == "exited")
            reader.join(timeout=20)
        ours.append(arrived - killed)
        theirs.append(got["docker"] - killed)
        client.post(f"/api/services/{sid}/containers/{container}/start").raise_for_status()
    print(f"state push (kill -> exited): sdmd /api/events median {ms(median(ours))} p95 {ms(p95(ours))}; "
          f"Docker's /events `die` median {ms(median(theirs))} (ratio {median(ours) / median(theirs):.2f})")


def bench_stats(client: httpx.Client, docker: httpx.Client, sid: str, container: str, runs: int) -> None:
    ours, theirs = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with client.stream("GET", f"/api/services/{sid}/stats", headers=SSE) as r:
            wait_for(events(r), lambda e: e[0] == "stats")
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        with docker.stream("GET", f"/containers/{container}/stats", params={"stream": 1}, timeout=None) as d:
            next(d.iter_lines())
        theirs.append(time.perf_counter() - started)
    print(f"stats: first sdmd event median {ms(median(ours))}; Docker's first stats document median "
          f"{ms(median(theirs))} (sdmd sends one event a second, with rates, so about a second more)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    name = "blive" + secrets.token_hex(3)
    with sdmd_server() as client, docker_raw() as docker:
        ticker = ["sh", "-c", "while true; do sleep 1; done"]
        created = client.post("/api/services", json={"name": name, "services": {
            "app": {"image": IMAGE, "init": True, "command": ticker, "labels": {"sdmd.bench": "1"}}}})
        created.raise_for_status()
        sid, container = created.json()["id"], f"{name}-app-1"
        try:
            bench_progress(client, sid, max(3, args.runs // 4))
            bench_logs(client, docker, sid, container, args.runs)
            bench_state(client, docker, sid, name, container, max(3, args.runs // 2))
            bench_stats(client, docker, sid, container, max(3, args.runs // 4))
        finally:
            client.delete(f"/api/services/{sid}", params={"volumes": True})


if __name__ == "__main__":
    main()
