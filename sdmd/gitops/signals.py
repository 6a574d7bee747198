"""How an API change reaches the running reconcile loop without importing it.

The loop (loop.py) imports reconcile, which imports hooks; hooks must then not import the loop back.
So the loop registers its trigger here and hooks/bump call `nudge`: the arrows run hooks -> signals
<- loop, one way.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sdmd.core import Core

_triggers: weakref.WeakKeyDictionary[Core, Callable[[], None]] = weakref.WeakKeyDictionary()


def register(core: Core, trigger: Callable[[], None]) -> None:
    _triggers[core] = trigger


def unregister(core: Core) -> None:
    _triggers.pop(core, None)


def nudge(core: Core) -> None:
    """After an API commit: let the running loop push it (and pull) soon, outside the request."""
    trigger = _triggers.get(core)
    if trigger is not None and core.settings.git_remote:
        trigger()
