"""The change feed's thread-safe queue subscription: closing it wakes its reader at once."""

from __future__ import annotations

import threading
import time

from sdmd.hosts.feed import ChangeFeed


def test_close_wakes_a_waiting_get_and_later_gets_return_at_once() -> None:
    # The API's alert consumer waits in get() with a timeout; its stop (every API shutdown) joins it, and
    # would otherwise last until that timeout ran out.
    subscription = ChangeFeed().subscribe_queue()
    returned: list[float] = []

    def read() -> None:
        started = time.monotonic()
        assert subscription.get(timeout=30) is None
        returned.append(time.monotonic() - started)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    subscription.close()
    reader.join(timeout=5)
    assert returned and returned[0] < 2
    started = time.monotonic()
    assert subscription.get(timeout=30) is None
    assert time.monotonic() - started < 1
