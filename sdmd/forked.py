"""Run a piece of work in a forked child process, for the long-running processes that stay small.

The worker and the scheduler loop on Redis alone. Some of their chores need the database and a
domain's code (recording interrupted runs, reconciling schedules), whose imports would stay resident
for good once loaded. A child loads them, does the chore, and takes that memory with it when it exits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

log = logging.getLogger("sdmd.forked")

FAILED = 1


def in_child(work: Callable[[], int], what: str) -> int:
    """`work()`'s return value as the child's exit code; FAILED when it raised (logged, with `what`).

    Forking is safe here: the callers are single-threaded, and redis-py gives a forked child a fresh
    connection pool of its own.
    """
    pid = os.fork()
    if pid == 0:
        code = FAILED
        try:
            code = work()
        except BaseException:  # the child must reach os._exit whatever happens
            log.exception("%s failed", what)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
