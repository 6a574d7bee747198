"""Benchmark: GET /api/services beside Docker's own /containers/json, and create beside `compose up`.

Run: .venv/bin/python -m tests.bench.bench_services [--runs 50]
Not part of the test suite. Needs the Docker engine and 127.0.0.1:5000/sdmd-test/app:1 (scripts/provision.sh).
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import tempfile
from pathlib import Path

import docker

from tests.bench.common import docker_raw, median, ms, p95, sdmd_server, timed

IMAGE = "127.0.0.1:5000/sdmd-test/app:1"
PREFIX = "bench" + secrets.token_hex(2)


def add_containers(api: docker.APIClient, total: int, projects: int, start: int) -> None:
    """Containers labelled like compose's, spread over `projects` projects (started, running sleep)."""
    for i in range(start, total):
        project = f"{PREFIX}-p{i % projects}"
        labels = {"com.docker.compose.project": project, "com.docker.compose.service": f"s{i}",
                  "com.docker.compose.container-number": "1", "sdmd.bench": PREFIX}
        c = api.create_container(IMAGE, command=["sleep", "3600"], labels=labels, name=f"{project}-s{i}-1",
                                 host_config=api.create_host_config(init=True))
        api.start(c["Id"])


def remove_all(api: docker.APIClient) -> None:
    for c in api.containers(all=True, filters={"label": f"sdmd.bench={PREFIX}"}):
        api.remove_container(c["Id"], force=True)


def bench_list(runs: int) -> list[tuple[int, float, float, float, float]]:
    api = docker.APIClient(version="auto", timeout=120)
    raw = docker_raw()
    rows = []
    try:
        with sdmd_server() as client:
            have = 0
            for extra in (0, 100, 300):
                add_containers(api, extra, 100, have)
                have = extra
                ours = timed(lambda: client.get("/api/services").raise_for_status(), runs)
                theirs = timed(lambda: raw.get("/containers/json", params={"all": "1"}).raise_for_status(), runs)
                rows.append((extra, median(ours), p95(ours), median(theirs), p95(theirs)))
    finally:
        remove_all(api)
        raw.close()
        api.close()
    return rows


TWO_CONTAINERS = """\
services:
  web:
    image: {image}
    command: [httpd, -f, -p, "8080", -h, /www]
    init: true
    depends_on: [db]
  db:
    image: {image}
    command: [sleep, "3600"]
    init: true
"""


def bench_create(runs: int) -> tuple[float, float]:
    text = TWO_CONTAINERS.format(image=IMAGE)
    ours, theirs = [], []
    with sdmd_server() as client, tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "compose.yaml").write_text(text)
        for i in range(runs):
            name = f"{PREFIX}-c{i}"
            r, elapsed = _time(lambda name=name: client.post(f"/api/services?name={name}", content=text,
                                                                headers={"content-type": "application/yaml"}))
            r.raise_for_status()
            ours.append(elapsed)
            client.delete(f"/api/services/{r.json()['id']}").raise_for_status()
            raw_name = f"{PREFIX}-r{i}"
            cmd = ["docker", "compose", "-p", raw_name, "--project-directory", tmp, "up", "-d", "--quiet-pull"]
            _, elapsed = _time(lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True))
            theirs.append(elapsed)
            subprocess.run(["docker", "compose", "-p", raw_name, "--project-directory", tmp, "down"],
                           check=True, capture_output=True)
    return median(ours), median(theirs)


def _time(fn):
    import time

    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--create-runs", type=int, default=7)
    args = parser.parse_args()
    print("GET /api/services vs GET /containers/json?all=1 (same run, same machine)")
    print(f"{'extra containers':>17} | {'sdmd median':>11} | {'sdmd p95':>11} | {'docker median':>13} | "
          f"{'docker p95':>11} | ratio (median)")
    for extra, om, op, tm, tp in bench_list(args.runs):
        print(f"{extra:>17} | {ms(om)} | {ms(op)} | {ms(tm):>13} | {ms(tp)} | {om / tm:5.2f}")
    ours, theirs = bench_create(args.create_runs)
    ratio = ours / theirs
    print(f"\ncreate a 2-container service: sdmd {ms(ours)} vs docker compose up -d {ms(theirs)}"
          f" -> ratio {ratio:.2f} (median of {args.create_runs}; target <= 1.15x: "
          f"{'met' if ratio <= 1.15 else 'NOT met'})")


if __name__ == "__main__":
    main()
