"""`sdmd worker` as a process: it stops when asked."""

from __future__ import annotations

import subprocess

from tests.schedules.conftest import Processes


def test_sigterm_stops_an_idle_worker_at_once(processes: Processes) -> None:
    processes.worker()
    ((proc, _),) = processes.procs
    proc.terminate()
    try:
        code = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the worker ignored SIGTERM\n{processes.logs()}") from None
    assert code == 0, processes.logs()
    # it stopped, rather than starting a fresh worker as after a Redis outage (sdmd/updates/queue.py)
    assert processes.logs().count("listening on queues") == 1, processes.logs()
