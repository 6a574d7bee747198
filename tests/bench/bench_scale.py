"""Benchmark: sdmd with 500 services of one container each (issue 19 §2), and create beside `compose up`.

Run: .venv/bin/python -m tests.bench.bench_scale [--services 500] [--bucket 100] [--pair-runs 5]
Not part of the test suite; takes ~15-25 min on a quiet 2-core machine. Needs the Docker engine, Redis
tools (redis-server) and 127.0.0.1:5000/sdmd-test/app:1 (scripts/provision.sh).

One API (`sdmd serve`, gitops watcher and periodic reconcile on, as deployed) and one worker on a
private Redis. Every container is `network_mode: none` (no address pool limit) and carries the label
sdmd.bench=<run prefix>; everything is deleted at the end through the API, then by label.
Prints: create time per service by buckets of 100 (does it grow with the count?), list p50/p95 beside
Docker's own /containers/json in the same run, a reconcile round with nothing changed, API and
worker RSS as the count grows, and a 2-container create beside `docker compose up -d` of the same file.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.bench.bench_memory import rss_of
from tests.bench.common import docker_raw, free_port, median, ms, p95, timed

IMAGE = "127.0.0.1:5000/sdmd-test/app:1"
PREFIX = "scale" + secrets.token_hex(2)
MB = 1024 * 1024

ONE_CONTAINER = """\
services:
  app:
    image: {image}
    command: [sleep, "86400"]
    init: true
    network_mode: none
    stop_grace_period: 1s
    labels: {{sdmd.bench: {prefix}}}
"""
TWO_CONTAINERS = """\
services:
  web:
    image: {image}
    command: [sleep, "86400"]
    init: true
    network_mode: none
    stop_grace_period: 1s
    labels: {{sdmd.bench: {prefix}}}
    depends_on: [db]
  db:
    image: {image}
    command: [sleep, "86400"]
    init: true
    network_mode: none
    stop_grace_period: 1s
    labels: {{sdmd.bench: {prefix}}}
"""
YAML = {"content-type": "application/yaml"}


@contextmanager
def sdmd_stack(tmp: Path):
    """`sdmd serve` and `sdmd worker` on a private Redis; yields (client, api pid, worker pid)."""
    sock = str(tmp / "redis.sock")
    port = free_port()
    password = "scale-" + os.urandom(6).hex()
    env = {**os.environ, "SDMD_DATA_DIR": str(tmp / "data"), "SDMD_STACKS_DIR": str(tmp / "stacks"),
           "SDMD_REDIS_URL": f"unix://{sock}", "SDMD_ADMIN_EMAIL": "scale@example.com",
           "SDMD_ADMIN_PASSWORD": password}
    log = open(tmp / "stack.log", "w")  # noqa: SIM115 (closed in finally, after the processes)
    procs: list[subprocess.Popen] = []
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
    try:
        procs.append(subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
                                       "--appendonly", "no", "--dir", str(tmp)], stdout=log, stderr=log))
        for _ in range(100):
            if Path(sock).exists():
                break
            time.sleep(0.1)
        sdmd = [sys.executable, "-m", "sdmd.cli"]
        api = subprocess.Popen([*sdmd, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        procs.append(api)
        deadline = time.monotonic() + 120
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or api.poll() is not None:
                raise RuntimeError((tmp / "stack.log").read_text()[-3000:])
            time.sleep(0.3)
        worker = subprocess.Popen([*sdmd, "worker"], env=env, stdout=log, stderr=log)
        procs.append(worker)
        login = client.post("/auth/login", json={"username": "scale@example.com", "password": password})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client, api.pid, worker.pid
    finally:
        client.close()
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def remove_by_label() -> int:
    """Whatever the API did not delete: containers first, then compose's default networks."""
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=sdmd.bench={PREFIX}"], capture_output=True,
                         text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    nets = subprocess.run(["docker", "network", "ls", "-q", "--filter", f"name={PREFIX}"], capture_output=True,
                          text=True).stdout.split()
    if nets:
        subprocess.run(["docker", "network", "rm", *nets], capture_output=True)
    return len(ids)


def pair(client: httpx.Client, runs: int, tag: str) -> tuple[list[float], list[float]]:
    """A 2-container service through sdmd vs `docker compose up -d` of the same file, interleaved."""
    text = TWO_CONTAINERS.format(image=IMAGE, prefix=PREFIX)
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as raw_dir:
        (Path(raw_dir) / "compose.yaml").write_text(text)
        for i in range(runs):
            started = time.perf_counter()
            r = client.post(f"/api/services?name={PREFIX}-{tag}{i}", content=text, headers=YAML)
            ours.append(time.perf_counter() - started)
            r.raise_for_status()
            client.delete(f"/api/services/{r.json()['id']}").raise_for_status()
            cmd = ["docker", "compose", "-p", f"{PREFIX}-raw{tag}{i}", "--project-directory", raw_dir]
            started = time.perf_counter()
            subprocess.run([*cmd, "up", "-d", "--quiet-pull"], check=True, capture_output=True)
            theirs.append(time.perf_counter() - started)
            subprocess.run([*cmd, "down", "-t", "1"], check=True, capture_output=True)
    return ours, theirs


def list_figures(client: httpx.Client, raw: httpx.Client, runs: int) -> tuple[list[float], list[float]]:
    ours = timed(lambda: client.get("/api/services").raise_for_status(), runs)
    theirs = timed(lambda: raw.get("/containers/json", params={"all": "1"}).raise_for_status(), runs)
    return ours, theirs


def reconcile_round(client: httpx.Client, runs: int = 3) -> list[float]:
    client.post("/api/gitops/reconcile").raise_for_status()  # settles whatever the watcher has queued
    return timed(lambda: client.post("/api/gitops/reconcile").raise_for_status(), runs, warmup=0)


HEADER = (f"{'services':>8} | create p50 | create p95 | list p50  | list p95  | docker p50 | docker p95 |"
          f" list/docker | reconcile (nothing changed) | API RSS  | worker RSS")


def print_row(row: tuple) -> None:
    count, creates, ours, theirs, rounds, api_rss, worker_rss = row
    print(f"{count:>8} | {ms(median(creates))} | {ms(p95(creates))} | {ms(median(ours))} | {ms(p95(ours))} |"
          f" {ms(median(theirs))} | {ms(p95(theirs))} | {median(ours) / median(theirs):11.1f} |"
          f" {ms(median(rounds)):>27} | {api_rss / MB:6.1f}MB | {worker_rss / MB:6.1f}MB", flush=True)


def _stop(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so the finally blocks clean up


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--bucket", type=int, default=100)
    parser.add_argument("--list-runs", type=int, default=30)
    parser.add_argument("--pair-runs", type=int, default=5)
    parser.add_argument("--delete-runs", type=int, default=50, help="services deleted (and timed) through the API")
    args = parser.parse_args()
    raw = docker_raw()
    rows = []
    ids: list[str] = []
    print(f"run prefix {PREFIX}: {args.services} services of one container (network_mode: none)")
    print(HEADER)
    with tempfile.TemporaryDirectory(prefix="sdmd-scale-") as tmp:
        try:
            with sdmd_stack(Path(tmp)) as (client, api_pid, worker_pid):
                quiet = pair(client, args.pair_runs, "q")
                first = client.get("/api/services").json()
                baseline = len(first) if isinstance(first, list) else 0
                mem0 = (rss_of(api_pid), rss_of(worker_pid))
                text = ONE_CONTAINER.format(image=IMAGE, prefix=PREFIX)
                for start in range(0, args.services, args.bucket):
                    creates = []
                    for i in range(start, min(start + args.bucket, args.services)):
                        started = time.perf_counter()
                        r = client.post(f"/api/services?name={PREFIX}-s{i:03d}", content=text, headers=YAML)
                        creates.append(time.perf_counter() - started)
                        r.raise_for_status()
                        ids.append(r.json()["id"])
                    ours, theirs = list_figures(client, raw, args.list_runs)
                    rounds = reconcile_round(client)
                    rows.append((len(ids), creates, ours, theirs, rounds, rss_of(api_pid), rss_of(worker_pid)))
                    print_row(rows[-1])
                # the worker does one job (a registry check of one service) with all of them there
                job = client.post(f"/api/services/{ids[0]}/update", params={"mode": "check", "wait": 120})
                worker_after_job = rss_of(worker_pid)
                loaded = pair(client, args.pair_runs, "l")
                deletes = []
                for sid in ids[: args.delete_runs]:  # the rest go by label below, in one `docker rm`
                    started = time.perf_counter()
                    client.delete(f"/api/services/{sid}").raise_for_status()
                    deletes.append(time.perf_counter() - started)
                ids.clear()
        finally:
            left = remove_by_label()
            raw.close()

    print(HEADER)
    for row in rows:
        print_row(row)
    print(f"(before any: {baseline} services listed, API {mem0[0] / MB:.1f} MB, worker {mem0[1] / MB:.1f} MB)")
    top = rows[-1]
    print("\nfigures beside issue 19's targets")
    growth = median(top[1]) / median(rows[0][1])
    print(f"  create per service, last bucket / first bucket: {growth:.2f}x  (target: does not grow, ~1.0x)")
    print(f"  list at {top[0]}: p50 {ms(median(top[2]))}, p95 {ms(p95(top[2]))}; Docker's /containers/json "
          f"p50 {ms(median(top[3]))}, p95 {ms(p95(top[3]))}")
    print(f"  reconcile round, nothing changed, {top[0]} stacks: {ms(median(top[4]))}  (target <= 2000 ms) "
          f"{'met' if median(top[4]) <= 2 else 'NOT met'}")
    print(f"  API RSS at {top[0]}: {top[5] / MB:.1f} MB; worker RSS at {top[0]}: {top[6] / MB:.1f} MB idle, "
          f"{worker_after_job / MB:.1f} MB after one check job (HTTP {job.status_code})")
    print(f"  delete per service: p50 {ms(median(deletes))}, p95 {ms(p95(deletes))}")
    for label, (ours, theirs) in (("quiet (no other services)", quiet), (f"beside {top[0]} services", loaded)):
        ratio = median(ours) / median(theirs)
        print(f"  2-container create, {label}: sdmd {ms(median(ours))} vs docker compose up -d "
              f"{ms(median(theirs))} -> {ratio:.2f}x (target <= 1.15x) {'met' if ratio <= 1.15 else 'NOT met'}")
    print(f"  left behind and removed by label: {left} container(s)")


if __name__ == "__main__":
    main()
