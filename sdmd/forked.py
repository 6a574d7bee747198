"""Run a piece of work in a forked child process, for the long-running processes that stay small.

The worker and the scheduler loop on Redis alone. Some of their chores need the database and a
domain's code (recording interrupted runs, reconciling schedules), whose imports would stay resident
for good once loaded. A child loads them, does the chore, and takes that memory with it when it exits.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("sdmd.forked")

FAILED = 1
T = TypeVar("T")


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


def value_from_child(work: Callable[[], T], what: str) -> T:
    """`work()`'s return value, computed in a forked child and pickled back through a pipe: the imports
    it took stay with the child. Raises RuntimeError with the child's error when `work()` raised."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            try:
                outcome = (True, work())
            except BaseException as exc:  # the child must reach os._exit whatever happens
                outcome = (False, f"{type(exc).__name__}: {exc}")
            with os.fdopen(write_end, "wb") as out:
                pickle.dump(outcome, out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as incoming:
        data = incoming.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"{what}: the child process died")
    ok, value = pickle.loads(data)
    if not ok:
        raise RuntimeError(f"{what}: {value}")
    return value
