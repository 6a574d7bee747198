"""Run-time security settings (table app_settings): whether two-factor login is required for everyone.

SDMD_REQUIRE_MFA=true forces it on (then the API cannot turn it off). The value is read at most once
every CACHE_SECONDS per process: checked on every request, it must not cost a query each time; the
process that changes it sees the change at once.
"""

from __future__ import annotations

import threading
import time

from sdmd.auth.identity import Actor
from sdmd.auth.models import AppSetting
from sdmd.config import Settings
from sdmd.db.base import Database, utcnow
from sdmd.errors import Conflict

REQUIRE_MFA = "require_mfa"
CACHE_SECONDS = 5.0


class SecurityPolicy:
    def __init__(self, settings: Settings, db: Database, *, clock=time.monotonic) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, bool] | None = None

    @property
    def forced(self) -> bool:
        return self.settings.require_mfa

    def require_mfa(self) -> bool:
        if self.forced:
            return True
        with self._lock:
            now = self.clock()
            if self._cached is not None and now - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
        with self.db.sessions() as session:
            row = session.get(AppSetting, REQUIRE_MFA)
        value = bool(row and row.value.get("value"))
        with self._lock:
            self._cached = (self.clock(), value)
        return value

    def set_require_mfa(self, value: bool, *, actor: Actor) -> bool:
        if self.forced and not value:
            raise Conflict("two-factor login is required by configuration", "SDMD_REQUIRE_MFA=true is set")
        with self.db.session() as session:
            row = session.get(AppSetting, REQUIRE_MFA)
            if row is None:
                session.add(AppSetting(key=REQUIRE_MFA, value={"value": value}, updated_at=utcnow(),
                                       updated_by=actor.display_name))
            else:
                row.value, row.updated_at, row.updated_by = {"value": value}, utcnow(), actor.display_name
        with self._lock:
            self._cached = (self.clock(), value or self.forced)
        return value or self.forced

    def mfa_missing(self, actor: Actor) -> bool:
        """This credential has not passed a second factor although everyone must."""
        return actor.aal != "aal2" and self.require_mfa()
