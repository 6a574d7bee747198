"""Benchmark: what each sdmd process loads and how much memory it holds, beside issue 19's targets.

Run: .venv/bin/python -m tests.bench.bench_memory [--idle 8] [--image sdmd:latest]
Not part of the test suite. Starts the same processes as scripts/run.sh (a private redis-server on a
unix socket, `sdmd worker`, `sdmd scheduler`, rq-dashboard, `sdmd serve`) in a temp data dir, lets
them idle, and reads each one's RSS from /proc. Stops them all at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.bench.common import free_port

MB = 1024 * 1024
# What each process imports before it does its work (its "import graph"): the API builds its app.
PROCESSES = {
    "api": ("sdmd.app", "from sdmd.app import create_app"),
    # The floor under the API's figure: the libraries it cannot answer a request without (web framework
    # and server, ORM, queue, Docker client, token verification, the YAML editor), and no sdmd code.
    "api's libraries, no sdmd": ("fastapi", "import uvicorn, sqlalchemy.orm, redis, rq, docker, jwt, ruamel.yaml"),
    "worker": ("sdmd.updates.queue", ""),
    "worker, after its first job": ("sdmd.schedules.jobs", "import sdmd.updates.jobs"),
    "scheduler": ("sdmd.schedules.scheduler", ""),
    "cli (sdmd --help)": ("sdmd.cli", ""),
}
HEAVY = ("fastapi", "starlette", "uvicorn", "docker", "python_on_whales", "ruamel", "sqlalchemy", "alembic",
         "rq", "rq_scheduler", "redis", "httpx", "pydantic", "pydantic_settings", "cryptography", "jwt",
         "argon2", "watchfiles", "orjson")
PROBE = """
import importlib, json, sys, time
started = time.perf_counter()
importlib.import_module(sys.argv[1])
exec(sys.argv[2])
elapsed = time.perf_counter() - started
rss = int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) * 1024
tops = {m.split('.')[0] for m in sys.modules}
print(json.dumps({"modules": len(sys.modules), "sdmd": sum(m.startswith('sdmd.') for m in sys.modules),
                  "rss": rss, "seconds": elapsed, "heavy": sorted(tops & set(sys.argv[3].split(',')))}))
"""


def import_graph(module: str, extra: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, module, extra, ",".join(HEAVY)], capture_output=True,
                          text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def _tree_bytes(pid: int, proc_file: str, field: str) -> int:
    """A kB figure from /proc/<pid>/<proc_file>, summed over a process and its children, in bytes."""
    total = 0
    for proc in [pid, *children(pid)]:
        try:
            text = Path(f"/proc/{proc}/{proc_file}").read_text()
        except OSError:
            continue
        total += int(next(line for line in text.splitlines() if line.startswith(field)).split()[1]) * 1024
    return total


def rss_of(pid: int) -> int:
    """RSS of a process and its children (uvicorn and RQ may fork), in bytes."""
    return _tree_bytes(pid, "status", "VmRSS:")


def pss_of(pid: int) -> int:
    """PSS of a process and its children, in bytes: each page shared between processes (the Python
    binary, pydantic-core's and cryptography's libraries, pages a fork has not written) counted once
    in all, split between them. Summed over processes, it is what the stack costs the machine; a sum
    of RSS counts shared pages once per process."""
    return _tree_bytes(pid, "smaps_rollup", "Pss:")


def children(pid: int) -> list[int]:
    found = []
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for kid in map(int, kids):
        found += [kid, *children(kid)]
    return found


def help_seconds(runs: int = 7) -> float:
    sdmd = shutil.which("sdmd") or str(Path(sys.executable).parent / "sdmd")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sdmd, "--help"], check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return sorted(samples)[len(samples) // 2]


def run_stack(idle: float) -> dict[str, tuple[int, int]]:
    """The scripts/run.sh processes, idle; {name: (RSS bytes, PSS bytes)}."""
    sdmd = [sys.executable, "-m", "sdmd.cli"]
    with tempfile.TemporaryDirectory(prefix="sdmd-mem-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        sock = f"{tmp}/redis.sock"
        port = free_port()
        env = {**os.environ, "SDMD_DATA_DIR": str(data), "SDMD_STACKS_DIR": f"{tmp}/stacks",
               "SDMD_REDIS_URL": f"unix://{sock}", "SDMD_ADMIN_EMAIL": "mem@example.com",
               "SDMD_ADMIN_PASSWORD": "mem-" + os.urandom(6).hex(),
               # Idle means no job yet: at the default 08:00 the daily notification job would run during
               # the measurement whenever the bench runs later in the day, and a worker that has run a
               # job keeps its modules ("worker, after its first job" above).
               "SDMD_NOTIFY_DIGEST_TIME": "23:59"}
        procs: dict[str, subprocess.Popen] = {}
        log = open(Path(tmp) / "stack.log", "w")  # noqa: SIM115 (closed below, after the processes)
        try:
            procs["redis"] = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
                                               "--appendonly", "no", "--dir", tmp], stdout=log, stderr=log)
            for _ in range(100):
                if Path(sock).exists():
                    break
                time.sleep(0.1)
            subprocess.run([*sdmd, "migrate"], env=env, check=True, capture_output=True, timeout=120)
            procs["worker"] = subprocess.Popen([*sdmd, "worker"], env=env, stdout=log, stderr=log)
            procs["scheduler"] = subprocess.Popen([*sdmd, "scheduler"], env=env, stdout=log, stderr=log)
            dash = shutil.which("rq-dashboard") or str(Path(sys.executable).parent / "rq-dashboard")
            procs["rq-dashboard"] = subprocess.Popen([dash, "--bind", "127.0.0.1", "--port", str(free_port()),
                                                      "--redis-url", f"unix://{sock}"], stdout=log, stderr=log)
            procs["api"] = subprocess.Popen([*sdmd, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError((Path(tmp) / "stack.log").read_text()[-3000:])
                time.sleep(0.3)
            # a few requests, as a browser would make on opening the dashboard, then idle
            for path in ("/healthz", "/api/about"):
                httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            time.sleep(idle)
            dead = [name for name, p in procs.items() if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{dead} exited: " + (Path(tmp) / "stack.log").read_text()[-3000:])
            return {name: (rss_of(p.pid), pss_of(p.pid)) for name, p in procs.items()}
        finally:
            for name in ("api", "rq-dashboard", "scheduler", "worker", "redis"):
                p = procs.get(name)
                if p is not None and p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            log.close()


def image_size(tag: str) -> int | None:
    done = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", tag], capture_output=True, text=True)
    return int(done.stdout) if done.returncode == 0 else None


def line(label: str, value: str, target: str, met: bool | None, note: str = "") -> None:
    verdict = "" if met is None else ("met" if met else "NOT met")
    print(f"  {label:<36} {value:>12}   target {target:<10} {verdict:<8} {note}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=8.0, help="seconds the stack idles before measuring")
    parser.add_argument("--image", default="sdmd:latest", help="the deployment image to size, if built")
    args = parser.parse_args()

    print("import graph of each process (a fresh interpreter per row)")
    print(f"  {'process':<28} {'modules':>7} {'sdmd.*':>6} {'RSS':>8} {'import':>8}  heavy libraries loaded")
    for name, (module, extra) in PROCESSES.items():
        g = import_graph(module, extra)
        print(f"  {name:<28} {g['modules']:>7} {g['sdmd']:>6} {g['rss'] / MB:>6.1f}MB {g['seconds']:>7.2f}s  "
              f"{', '.join(g['heavy']) or '-'}")

    print("\nfigures beside issue 19's targets")
    seconds = help_seconds()
    line("sdmd --help (median of 7)", f"{seconds:.3f} s", "<= 0.3 s", seconds <= 0.3)
    memory = run_stack(args.idle)
    for name, target in (("api", 70), ("worker", 60), ("scheduler", 40), ("rq-dashboard", None), ("redis", None)):
        rss, pss = memory[name]
        line(f"{name} idle RSS", f"{rss / MB:.1f} MB", f"<= {target} MB" if target else "-",
             None if target is None else rss <= target * MB, f"(PSS {pss / MB:.1f} MB)")
    total = sum(rss for rss, _ in memory.values())
    total_pss = sum(pss for _, pss in memory.values())
    line("whole run.sh stack, Redis included", f"{total / MB:.1f} MB", "<= 230 MB", total <= 230 * MB,
         f"(PSS {total_pss / MB:.1f} MB: shared pages counted once)")
    size = image_size(args.image)
    if size is None:
        line(f"image {args.image}", "not built", "<= 250 MB", None, "(python -m tests.bench.bench_image builds one)")
    else:
        line(f"image {args.image}", f"{size / 1e6:.0f} MB", "<= 250 MB", size <= 250e6,
             "(its parts, and a build from the local bases: python -m tests.bench.bench_image)")


if __name__ == "__main__":
    main()
