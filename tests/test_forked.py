"""sdmd/forked.py: chores in a forked child, whose imports leave with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sdmd.forked import FAILED, in_child, value_from_child


def test_in_child_returns_the_exit_code_and_failed_when_the_work_raised():
    assert in_child(lambda: 7, "seven") == 7
    assert in_child(lambda: 1 // 0, "dividing") == FAILED


def test_value_from_child_returns_the_value_and_raises_the_childs_error():
    assert value_from_child(lambda: {"a": [1, 2.5, "x"]}, "a dict") == {"a": [1, 2.5, "x"]}
    with pytest.raises(RuntimeError, match=r"^dividing: ZeroDivisionError: integer division"):
        value_from_child(lambda: 1 // 0, "dividing")


def test_value_from_child_raises_when_the_child_dies():
    with pytest.raises(RuntimeError, match="died"):
        value_from_child(lambda: os.kill(os.getpid(), signal.SIGKILL), "dying")


def _run(code: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_scheduler_reads_its_settings_without_loading_pydantic():
    got = _run("import json, sys\n"
               "from sdmd.schedules.scheduler import LoopSettings\n"
               "s = LoopSettings.from_environment()\n"
               "loaded = any(m.startswith('pydantic') for m in sys.modules)\n"
               "print(json.dumps({'settings': s.__dict__, 'pydantic': loaded}))",
               env={"SDMD_REDIS_URL": "redis://127.0.0.1:6399/3", "SDMD_TIMEZONE": "Europe/Berlin",
                    "SDMD_NOTIFY_DIGEST_TIME": "07:45", "SDMD_RECONCILE_INTERVAL_SECONDS": "42"})
    assert got["pydantic"] is False
    assert got["settings"]["resolved_redis_url"] == "redis://127.0.0.1:6399/3"
    assert got["settings"]["timezone"] == "Europe/Berlin"
    assert got["settings"]["notify_digest_time"] == "07:45"
    assert got["settings"]["reconcile_interval_seconds"] == 42


def test_invalid_settings_stop_the_scheduler_with_the_validation_error():
    sdmd = str(Path(sys.executable).with_name("sdmd"))
    done = subprocess.run([sdmd, "scheduler"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SDMD_RECONCILE_INTERVAL_SECONDS": "soon"})
    assert done.returncode != 0
    assert "reconcile_interval_seconds" in done.stderr
