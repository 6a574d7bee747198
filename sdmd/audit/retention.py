"""The 90-day retention purge: the one deletion the audit_log triggers allow, and only of old rows.

The DELETE statements repeat the triggers' own conditions, so a clock difference between sdmd and the
database cannot make the purge touch a row the trigger protects (the whole purge would then fail).
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from sdmd.audit.log import record
from sdmd.auth.identity import SCHEDULER, Actor
from sdmd.db.base import Database

log = logging.getLogger("sdmd.audit")

RETENTION_DAYS = 90  # also written into the triggers of migration 0001
PURGE_INTERVAL_SECONDS = 24 * 3600


def purge(db: Database, *, actor: Actor = SCHEDULER) -> int:
    """Delete audit records older than 90 days; returns how many. Records itself when it deleted any."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(sa.text("INSERT INTO audit_purge_gate (open) VALUES (1)"))
            deleted = conn.execute(sa.text(
                f"DELETE FROM audit_log WHERE created_at < strftime('%Y-%m-%d %H:%M:%f', 'now', "
                f"'-{RETENTION_DAYS} days')")).rowcount
            conn.execute(sa.text("DELETE FROM audit_purge_gate"))
        else:
            conn.execute(sa.text("SET LOCAL sdmd.audit_purge = 'on'"))
            deleted = conn.execute(sa.text(
                f"DELETE FROM audit_log WHERE created_at < now() - interval '{RETENTION_DAYS} days'")).rowcount
    if deleted:
        log.info("audit retention purge removed %d records", deleted)
        record(db, actor=actor, action="audit.purge", details={"deleted": deleted,
                                                               "retention_days": RETENTION_DAYS})
    return deleted


class RetentionWorker:
    """Purges once at start and then every 24 hours, in a daemon thread of the API process."""

    def __init__(self, db: Database, *, interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sdmd-audit-retention", daemon=True)

    def start(self) -> RetentionWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                purge(self.db)
            except Exception:  # the next day's run tries again; the API keeps serving
                log.exception("audit retention purge failed")
            if self._stop.wait(self.interval):
                return
