"""Benchmark: an update check of a 3-image service where one image has a newer build behind the same
tag, sdmd's registry check against today's pull-based check, measured in the same run.

    python -m tests.bench.bench_update_check [--rounds 7] [--padding-mb 20]

A registry of the benchmark's own (docker-registry on a free 127.0.0.1 port, JSON logs) serves the
three repositories, so every byte it sends is counted from its log: layer blobs, config blobs,
manifests. Each round runs
- `check` (sdmd/updates/cycle.py, mode=check): digests through the daemon, the candidate's manifest;
- the pull-based check of sdmd before issue 11 (`_pull_all` + `_restore_tags` as they were): pull all
  three concurrently, compare image ids, point the moved tag back; afterwards the pulled build is
  removed so every round is the first check after upstream published (cold). Once per run it is
  also measured warm (the new layers already on disk, as on a second check of the same build).
Prints median times, bytes and layer blobs sent by the registry per check, and the ratios.
Targets: check <= 0.3x the pull-based check's time, 0 layers downloaded by check.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
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
from tests.bench.common import free_port
from tests.support import remove_projects
from tests.updates.support import TaggedRepo, docker


class CountingRegistry:
    """docker-registry with JSON logs; `sent()` sums what it answered since the last mark."""

    def __init__(self, folder: Path) -> None:
        self.host = f"127.0.0.1:{free_port()}"
        self.log = folder / "registry.log"
        config = folder / "registry.yml"
        config.write_text(json.dumps({
            "version": 0.1, "log": {"level": "info", "formatter": "json", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(folder / "storage")}, "delete": {"enabled": True}},
            "http": {"addr": self.host}}))
        self.proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT)
        self.offset = 0
        for _ in range(100):
            try:
                import httpx

                if httpx.get(f"http://{self.host}/v2/", timeout=1).status_code == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise RuntimeError(self.log.read_text()[-2000:])

    def mark(self) -> None:
        time.sleep(0.05)  # let the registry flush its last log line
        self.offset = self.log.stat().st_size

    def sent(self, config_digests: set[str]) -> dict[str, int]:
        time.sleep(0.05)
        with self.log.open("rb") as fh:
            fh.seek(self.offset)
            lines = fh.read().decode(errors="replace").splitlines()
        out = {"bytes": 0, "layer_blobs": 0, "layer_bytes": 0, "requests": 0}
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") != "response completed":
                continue
            uri, written = entry.get("http.request.uri", ""), int(entry.get("http.response.written") or 0)
            out["requests"] += 1
            out["bytes"] += written
            if "/blobs/" in uri and entry.get("http.request.method") == "GET" \
                    and uri.rsplit("/", 1)[-1] not in config_digests:
                out["layer_blobs"] += 1
                out["layer_bytes"] += written
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def pull_based_check(core: Core, refs: list[tuple[str, str]], running: dict[str, str]) -> list[str]:
    """sdmd's check before issue 11: pull every image at once, compare ids, point moved tags back."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(refs)) as pool:
        pulled = list(pool.map(lambda r: core.docker.pull(r[0], r[1]).image_id, refs))
    changed = []
    for (repository, tag), new_id in zip(refs, pulled, strict=True):
        if new_id != running[repository]:
            core.docker.tag_image(running[repository], repository, tag)
            changed.append(repository)
    return changed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--padding-mb", type=int, default=20, help="size of the new build's extra layer content")
    args = parser.parse_args()

    tag = "bench" + secrets.token_hex(3)
    tmp = Path(tempfile.mkdtemp(prefix="sdmd-bench-check-"))
    registry = CountingRegistry(tmp)
    sock = tmp / "redis.sock"
    redis_proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL)
    repos = [TaggedRepo(f"{tag}-{x}", registry=registry.host) for x in "abc"]
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
        for repo in repos:
            repo.build("latest", padding=args.padding_mb << 20)
        services = {f"s{i}": {"image": r.ref("latest"), "command": ["sleep", "3600"], "init": True}
                    for i, r in enumerate(repos)}
        view = create_service(core, actor=SCHEDULER,
                              definition=Definition.from_json({"name": tag, "services": services}))
        running = {r.repository: r.ids["latest"] for r in repos}
        changing = repos[2]
        old = running[changing.repository]
        new = changing.build("latest", padding=args.padding_mb << 20)  # upstream's newer build...
        docker("tag", old, changing.ref("latest"))  # ...which this host does not have
        docker("rmi", new)
        configs = {r.ids["latest"] for r in repos} | {new}
        refs = [(r.repository, "latest") for r in repos]

        def check() -> None:
            result = run_update(core, redis, service_id=view["id"], mode="check", actor=SCHEDULER)
            assert result["result"] == "update_available", result

        def forget_new() -> None:
            subprocess.run(["docker", "rmi", new], capture_output=True, check=False)

        def old_check() -> None:
            assert pull_based_check(core, refs, running) == [changing.repository]

        check()  # warms compose's cached image list, connections
        times: dict[str, list[float]] = {"check (registry digests, no pull)": [], "pull-based check (cold)": []}
        sent: dict[str, list[dict[str, int]]] = {k: [] for k in times}
        def local_images() -> list[str]:
            return sorted(subprocess.run(["docker", "images", "-a", "-q", "--no-trunc"], capture_output=True,
                                         text=True).stdout.split())

        images_changed = 0
        for _ in range(args.rounds):  # interleaved, so load on the shared machine hits both alike
            for name, fn in (("check (registry digests, no pull)", check), ("pull-based check (cold)", old_check)):
                registry.mark()
                before = local_images() if fn is check else None
                started = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - started)
                if before is not None:
                    images_changed += before != local_images()
                sent[name].append(registry.sent(configs))
            forget_new()
        registry.mark()
        old_check()  # leaves the new layers on disk
        registry.sent(configs)
        warm = []
        for _ in range(args.rounds):
            registry.mark()
            started = time.perf_counter()
            old_check()
            warm.append(time.perf_counter() - started)
        times["pull-based check (warm: layers on disk)"] = warm
        sent["pull-based check (warm: layers on disk)"] = [registry.sent(configs)]
        forget_new()

        med = {k: statistics.median(v) for k, v in times.items()}
        base = med["pull-based check (cold)"]
        print(f"3-image service, one newer build ({args.padding_mb} MiB) behind the same tag, "
              f"{args.rounds} rounds, medians")
        for name, value in med.items():
            s = sent[name][-1]
            print(f"  {name:40s} {value * 1000:8.1f} ms  ratio {value / base:5.2f}  registry sent "
                  f"{s['bytes'] / 1e6:7.2f} MB in {s['requests']:3d} requests, {s['layer_blobs']} layer blobs "
                  f"({s['layer_bytes'] / 1e6:.2f} MB)")
        new_layers = max(s["layer_blobs"] for s in sent["check (registry digests, no pull)"])
        ratio = med["check (registry digests, no pull)"] / base
        warm_ratio = med["check (registry digests, no pull)"] / med["pull-based check (warm: layers on disk)"]
        print(f"ratio check / pull-based check (cold): {ratio:.3f}  (target <= 0.3)")
        print(f"ratio check / pull-based check (warm): {warm_ratio:.3f}")
        print(f"layers downloaded by check: {new_layers} (target 0); checks that changed the engine's image "
              f"list: {images_changed} of {args.rounds}")
        return 0 if ratio <= 0.3 and new_layers == 0 else 1
    finally:
        if core is not None:
            try:
                delete_service(core, tag, actor=SCHEDULER)
            except Exception as exc:
                print(f"cleanup: {exc}", file=sys.stderr)
            core.close()
        remove_projects(tag)
        for repo in repos:
            repo.cleanup()
        registry.stop()
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
