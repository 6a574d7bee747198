"""The relays compose's output goes through (sdmd/docker/compose.py:OUTLIVE_THE_READER): a command keeps
running to its end when whoever read its output is gone, and its output and exit status are unchanged."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from sdmd.docker.compose import OUTLIVE_THE_READER

# Writes after its reader has gone, then leaves a mark; without a relay the first write kills it (SIGPIPE).
WRITER = 'sleep 0.5; i=0; while [ $i -lt 2000 ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); done; touch "$1"'


def _relayed(*command: str) -> list[str]:
    return ["bash", "-c", OUTLIVE_THE_READER, "sdmd-compose", *command]


def test_the_command_finishes_after_its_reader_is_gone(tmp_path: Path):
    for relayed in (False, True):
        mark = tmp_path / f"done-{relayed}"
        command = ["sh", "-c", WRITER, "writer", str(mark)]
        proc = subprocess.Popen(_relayed(*command) if relayed else command,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()  # the reader dies
        proc.stderr.close()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while relayed and not mark.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mark.exists() is relayed  # without the relay the writer died at its first line


def test_output_streams_and_exit_status_pass_through_unchanged():
    done = subprocess.run(_relayed("sh", "-c", 'echo out; echo err >&2; exit 7'), capture_output=True,
                          text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (7, "out\n", "err\n")
