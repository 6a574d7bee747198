"""Fault injection for the crash-safety tests (test-only; a no-op unless SDMD_FAULT is set).

`SDMD_FAULT=<point>` or `<operation>.<point>` (e.g. `update.after_write`) makes the process
SIGKILL itself when it reaches that point: exactly `kill -9` at that step, with no cleanup,
no `finally` and no database rollback. The points, in the order create/update/delete reach them:

- `after_validation`: the input was checked, nothing was changed yet;
- `after_write`: the compose file was written (delete: the folder was removed);
- `during_up`: while `compose up` (delete: `compose down`) runs, SDMD_FAULT_DELAY seconds in;
- `before_db_commit`: the database transaction is open and not committed;
- `before_git_commit`: the database is committed, the git commit is not made yet.

Read from the environment on every call (not from Settings) so it can never leak into a
configuration file and costs one dict lookup when unset.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

POINTS = ("after_validation", "after_write", "during_up", "before_db_commit", "before_git_commit")
ENV = "SDMD_FAULT"
DELAY_ENV = "SDMD_FAULT_DELAY"


def _armed(operation: str, point: str) -> bool:
    wanted = os.environ.get(ENV)
    return bool(wanted) and wanted in (point, f"{operation}.{point}")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def point(operation: str, name: str) -> None:
    """SIGKILL this process here when SDMD_FAULT names this point."""
    if _armed(operation, name):
        _die()


@contextmanager
def during(operation: str, name: str) -> Iterator[None]:
    """SIGKILL this process SDMD_FAULT_DELAY seconds (default 0.3) into the block, while it still runs."""
    if not _armed(operation, name):
        yield
        return
    timer = threading.Timer(float(os.environ.get(DELAY_ENV, "0.3")), _die)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        # The block ended before the delay: die now, so the fault always happens at this step.
        timer.cancel()
        _die()
