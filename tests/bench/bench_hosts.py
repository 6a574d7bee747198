"""Benchmark: the service list from the live model of several hosts, beside each daemon's own listing.

Run as root: .venv/bin/python -m tests.bench.bench_hosts [--runs 60]
Not part of the test suite. Makes two namespace hosts (tests/hosts/remote.py) and removes them after.

1. One host, 300 containers: GET /api/services against GET /containers/json?all=1 on that daemon.
2. Three hosts (local, one over tcp+TLS, one over SSH), 100 containers each: the list against the
   slowest of the three daemons' own listings (each asked on its unix socket: the cheapest transport).
3. One of the three hung (SIGSTOP): list p95 from the moment it stops answering, against the healthy p95.
4. An API call over SSH against the same call over TCP+TLS, after warm-up: Docker calls through the
   gateways (GET /version, GET /containers/json), and GET /api/services/{id}/logs of a service on each.
Every figure is printed, met or not. Containers use `network_mode: none` (no address pool needed).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import docker
import httpx

from sdmd.config import Settings
from sdmd.core import Core
from tests.bench.common import ADMIN_EMAIL, median, ms, p95, sdmd_server, timed
from tests.hosts.remote import RemoteHost, sweep_stale
from tests.hosts.support import fingerprint

IMAGE = "127.0.0.1:5000/sdmd-test/app:1"
PREFIX = "bh" + secrets.token_hex(2)
LOCAL_SOCKET = "/var/run/docker.sock"


def raw(socket: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(uds=socket), base_url="http://docker", timeout=60)


def add_containers(api: docker.APIClient, count: int, label: str, projects: int = 100) -> None:
    """Containers labelled like compose's, over `projects` projects, running sleep, without a network."""
    try:
        api.inspect_image(IMAGE)
    except docker.errors.ImageNotFound:
        api.pull(IMAGE.rsplit(":", 1)[0], tag="1")

    def one(i: int) -> None:
        project = f"{PREFIX}-{label}{i % projects}"
        labels = {"com.docker.compose.project": project, "com.docker.compose.service": f"s{i}",
                  "com.docker.compose.container-number": "1", "sdmd.bench": PREFIX}
        c = api.create_container(IMAGE, command=["sleep", "3600"], labels=labels, name=f"{project}-s{i}-1",
                                 host_config=api.create_host_config(init=True, network_mode="none"))
        api.start(c["Id"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, range(count)))


def remove_ours(api: docker.APIClient) -> None:
    def one(cid: str) -> None:
        api.remove_container(cid, force=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, [c["Id"] for c in api.containers(all=True, filters={"label": f"sdmd.bench={PREFIX}"})]))


def wait_listed(client: httpx.Client, at_least: int, what: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        services = client.get("/api/services").json()
        count = sum(len(s["containers"]) for s in services if s["name"].startswith(PREFIX) and s["status"] != "unknown")
        if count >= at_least:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {count} of {at_least} containers listed: {what}")
        time.sleep(0.5)


def ratio_line(label: str, ours: list[float], theirs: list[float], target: float) -> None:
    r = median(ours) / median(theirs)
    verdict = "met" if r <= target else "MISSED"
    print(f"{label}: sdmd median {ms(median(ours))} p95 {ms(p95(ours))} | baseline median {ms(median(theirs))} "
          f"p95 {ms(p95(theirs))} | ratio {r:.2f} (target <= {target}) {verdict}")


def bench_one_host(tls: RemoteHost, runs: int) -> None:
    api = tls.api(timeout=120)
    add_containers(api, 300, "one")
    daemon = raw(str(tls.socket))
    with sdmd_server({"SDMD_DOCKER_HOST": tls.docker_url, "SDMD_GITOPS_WATCH": "false"}) as client:
        wait_listed(client, 300, "one host")
        ours = timed(lambda: client.get("/api/services").raise_for_status(), runs, warmup=5)
        theirs = timed(lambda: daemon.get("/containers/json", params={"all": "1"}).raise_for_status(), runs, warmup=5)
    daemon.close()
    print(f"\n1. one host, 300 containers ({runs} runs each)")
    ratio_line("   GET /api/services vs GET /containers/json?all=1", ours, theirs, 0.5)
    remove_ours(api)
    api.close()


def add_hosts(client: httpx.Client, tls: RemoteHost, sshh: RemoteHost) -> dict[str, str]:
    r = client.post("/api/hosts", json={"name": "tls", "url": tls.tcp_url, "tls": tls.tls_material()})
    r.raise_for_status()
    assert sshh.ssh_client_key and sshh.ssh_host_key
    r2 = client.post("/api/hosts", json={"name": "ssh", "url": sshh.ssh_url, "ssh_key": sshh.ssh_client_key.private,
                                         "fingerprint": fingerprint(sshh.ssh_host_key.public)})
    r2.raise_for_status()
    return {"tls": r.json()["id"], "ssh": r2.json()["id"]}


def bench_three_hosts(tls: RemoteHost, sshh: RemoteHost, runs: int, tmp: Path) -> None:
    local_api = docker.APIClient(version="auto", timeout=120)
    apis = {"local": local_api, "tls": tls.api(timeout=120), "ssh": sshh.api(timeout=120)}
    for label, api in apis.items():
        add_containers(api, 100, label)
    daemons = {"local": raw(LOCAL_SOCKET), "tls": raw(str(tls.socket)), "ssh": raw(str(sshh.socket))}
    try:
        with sdmd_server({"SDMD_GITOPS_WATCH": "false", "SDMD_HOST_TIMEOUT_SECONDS": "2",
                          "SDMD_HOST_PING_SECONDS": "1"}) as client:
            add_hosts(client, tls, sshh)
            wait_listed(client, 300, "three hosts")
            healthy = timed(lambda: client.get("/api/services").raise_for_status(), runs, warmup=5)
            baselines = {label: timed(lambda d=d: d.get("/containers/json", params={"all": "1"}).raise_for_status(),
                                      runs, warmup=5) for label, d in daemons.items()}
            slowest = max(baselines, key=lambda k: median(baselines[k]))
            print(f"\n2. three hosts, 100 containers each ({runs} runs each)")
            for label, samples in baselines.items():
                print(f"   raw GET /containers/json?all=1 on {label}: median {ms(median(samples))} "
                      f"p95 {ms(p95(samples))}")
            ratio_line(f"   GET /api/services vs the slowest raw listing ({slowest})", healthy, baselines[slowest],
                       1.0)

            # Healthy and hung measured the same way, back to back: lists for a fixed time each.
            before = sample_for(client, 6.0)
            sshh.freeze()
            try:
                hung = sample_for(client, 8.0)  # covers the time until sdmd notices, and after
                states = {h["name"]: h["state"] for h in client.get("/api/hosts").json()}
            finally:
                sshh.thaw()
            r = p95(hung) / p95(before)
            print(f"\n3. the ssh host hung (SIGSTOP): {len(hung)} lists in the 8 s from the moment it stopped: "
                  f"median {ms(median(hung))} p95 {ms(p95(hung))} (host states at the end: {states}); healthy, "
                  f"just before: {len(before)} lists, median {ms(median(before))} p95 {ms(p95(before))} -> p95 "
                  f"ratio {r:.2f} (target <= 1.2) {'met' if r <= 1.2 else 'MISSED'}; median ratio "
                  f"{median(hung) / median(before):.2f}")
            time.sleep(3)  # reconnected
            bench_api_calls(client, runs)
        bench_gateways(tls, sshh, runs * 3, tmp)  # with the 100 containers on each host still there
    finally:
        for api in apis.values():
            remove_ours(api)
            api.close()
        for d in daemons.values():
            d.close()


def sample_for(client: httpx.Client, seconds: float) -> list[float]:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        client.get("/api/services").raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


def interleaved(fns: dict[str, Callable[[], object]], runs: int, warmup: int = 5) -> dict[str, list[float]]:
    """Each call timed in turn with the others, so a load spike of the shared machine hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(warmup + runs):
        for name, fn in fns.items():
            started = time.perf_counter()
            fn()
            if i >= warmup:
                samples[name].append(time.perf_counter() - started)
    return samples


def bench_api_calls(client: httpx.Client, runs: int) -> None:
    services = [s for s in client.get("/api/services").json() if s["name"].startswith(PREFIX)]
    by_host = {host: next(s for s in services if s["host"] == host) for host in ("tls", "ssh")}
    logs = interleaved({host: lambda s=s: client.get(f"/api/services/{s['id']}/logs?tail=5").raise_for_status()
                        for host, s in by_host.items()}, runs)
    print(f"\n4. API calls over SSH vs TCP+TLS, warm ({runs} runs each, interleaved)")
    ratio_line("   GET /api/services/{id}/logs?tail=5 (ssh vs tls)", logs["ssh"], logs["tls"], 2.0)


def bench_gateways(tls: RemoteHost, sshh: RemoteHost, runs: int, tmp: Path) -> None:
    """The same Docker calls through sdmd's two gateways (the pooled clients the API uses)."""
    core = Core(Settings(data_dir=tmp / "data", stacks_dir=tmp / "stacks", gitops_watch=False))
    core.settings.ensure_dirs()
    core.db.migrate()
    from sdmd.hosts import service as hosts_service
    from sdmd.hosts.schemas import HostCreate

    assert sshh.ssh_client_key and sshh.ssh_host_key
    hosts_service.create_host(core, actor=None, body=HostCreate(name="tls", url=tls.tcp_url, tls=tls.tls_material()))
    hosts_service.create_host(core, actor=None, body=HostCreate(
        name="ssh", url=sshh.ssh_url, ssh_key=sshh.ssh_client_key.private,
        fingerprint=fingerprint(sshh.ssh_host_key.public)))
    try:
        gateways = {name: core.gateway(name) for name in ("tls", "ssh")}
        for call, fn in (("GET /version", lambda g: g.version()),
                         ("GET /containers/json?all=1", lambda g: g.compose_containers())):
            samples = interleaved({name: lambda g=g, fn=fn: fn(g) for name, g in gateways.items()}, runs, warmup=10)
            ratio_line(f"   {call} through the gateway (ssh vs tls)", samples["ssh"], samples["tls"], 2.0)
    finally:
        core.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: it makes network namespaces")
    sweep_stale()
    tls = RemoteHost(label="btls").start()
    sshh = RemoteHost(label="bssh", ssh=True).start()
    print(f"benchmark {PREFIX} as {ADMIN_EMAIL}; hosts {tls.netns} (tcp+TLS) and {sshh.netns} (ssh)")
    try:
        bench_one_host(tls, args.runs)
        with tempfile.TemporaryDirectory(prefix="sdmd-bench-") as tmp:
            bench_three_hosts(tls, sshh, args.runs, Path(tmp))
    finally:
        sshh.teardown()
        tls.teardown()


if __name__ == "__main__":
    main()
