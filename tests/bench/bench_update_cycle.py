"""Benchmark: the no-change update cycle of a 3-image service against a raw `docker pull` of the same
three images, in the same run, on the local registry (127.0.0.1:5000).

    python -m tests.bench.bench_update_cycle [--rounds 15]

Prints median times, the ratio cycle / raw pull (target <= 1.3) and how many containers were
restarted by the cycles (target 0). The cycle is measured twice: called in-process (what the
worker's job does) and as a job through Redis and a real `sdmd worker` (queue, fork, fresh
connections, result), which is what `POST /api/services/{id}/update` waits for.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redis import Redis

from sdmd.auth.identity import SCHEDULER
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.services.service import Definition, create_service, delete_service
from sdmd.updates.cycle import run_update
from sdmd.updates.jobs import run_update_job
from sdmd.updates.queue import update_queue
from tests.schedules.support import Upstream, docker
from tests.support import IMAGE_V1, IMAGE_V2, docker_api, remove_projects


def snapshot(project: str) -> dict[str, str]:
    api = docker_api()
    try:
        return {c["Id"]: api.inspect_container(c["Id"])["State"]["StartedAt"]
                for c in api.containers(all=True, filters={"label": f"com.docker.compose.project={project}"})}
    finally:
        api.close()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    tag = "bench" + secrets.token_hex(3)
    tmp = Path(tempfile.mkdtemp(prefix="sdmd-bench-"))
    sock = tmp / "redis.sock"
    redis_proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    repos = [Upstream(f"{tag}-{x}", project_prefix=tag) for x in "abc"]
    worker = None
    core = None
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.05)
        settings = Settings(data_dir=tmp / "data", stacks_dir=tmp / "stacks", redis_url=f"unix://{sock}",
                            health_grace_seconds=1)
        settings.ensure_dirs()
        core = Core(settings)
        core.db.migrate()
        redis = Redis.from_url(settings.resolved_redis_url, socket_timeout=120)

        repos[0].publish(IMAGE_V1)
        repos[1].publish(IMAGE_V2)
        repos[2].publish(repos[2].build(IMAGE_V1))
        refs = [r.ref for r in repos]
        services = {f"s{i}": {"image": ref, "command": ["sleep", "3600"], "init": True}
                    for i, ref in enumerate(refs)}
        view = create_service(core, actor=SCHEDULER,
                              definition=Definition.from_json({"name": tag, "services": services}))
        before = snapshot(tag)
        assert len(before) == 3

        def cycle() -> None:
            run = run_update(core, redis, service_id=view["id"], mode="update", actor=SCHEDULER)
            assert run["result"] == "up_to_date", run

        def raw_cli() -> None:
            for ref in refs:
                docker("pull", "-q", ref)

        def raw_api() -> None:
            api = docker_api()
            try:
                for r in repos:
                    for _ in api.pull(r.repository, tag="latest", stream=True, decode=True):
                        pass
            finally:
                api.close()

        first = timed(cycle)  # fills the cached `docker compose config` answer
        env = {**os.environ, "SDMD_DATA_DIR": str(settings.data_dir), "SDMD_STACKS_DIR": str(settings.stacks_dir),
               "SDMD_REDIS_URL": settings.resolved_redis_url}
        worker = subprocess.Popen([str(Path(sys.executable).parent / "sdmd"), "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        queue = update_queue(settings, redis)

        def via_worker() -> None:
            job = queue.enqueue(run_update_job, view["id"], "update", None)
            result = job.latest_result(timeout=60)
            assert result is not None and result.return_value["result"] == "up_to_date", result

        timed(via_worker)
        times: dict[str, list[float]] = {"raw docker pull (CLI, sequential)": [], "raw pull (API, sequential)": [],
                                         "cycle (in-process)": [], "cycle as worker job (enqueue->result)": []}
        for _ in range(args.rounds):  # interleaved, so load on the shared machine hits all alike
            times["raw docker pull (CLI, sequential)"].append(timed(raw_cli))
            times["raw pull (API, sequential)"].append(timed(raw_api))
            times["cycle (in-process)"].append(timed(cycle))
            times["cycle as worker job (enqueue->result)"].append(timed(via_worker))
        after = snapshot(tag)
        restarted = sum(1 for cid, started in before.items() if after.get(cid) != started)

        med = {k: statistics.median(v) for k, v in times.items()}
        raw = med["raw docker pull (CLI, sequential)"]
        print(f"3-image service, {args.rounds} rounds, medians (first cycle, cold cache: {first * 1000:.0f} ms)")
        for k, v in med.items():
            print(f"  {k:36s} {v * 1000:7.1f} ms   ratio to raw CLI pull {v / raw:4.2f}")
        print(f"ratio cycle/raw pull (in-process): {med['cycle (in-process)'] / raw:.2f}  (target <= 1.3)")
        print(f"ratio cycle/raw pull (as a worker job): {med['cycle as worker job (enqueue->result)'] / raw:.2f}")
        api_ratio = med["cycle (in-process)"] / med["raw pull (API, sequential)"]
        print(f"ratio cycle/raw API pull (in-process): {api_ratio:.2f}")
        print(f"containers restarted: {restarted} of {len(before)}")
        return 0 if restarted == 0 else 1
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
        if core is not None:
            try:
                delete_service(core, tag, actor=SCHEDULER)
            except Exception as exc:
                print(f"cleanup: {exc}", file=sys.stderr)
            core.close()
        remove_projects(tag)
        for repo in repos:
            repo.cleanup()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
