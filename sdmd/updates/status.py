"""Whether a service has a newer image waiting: the service list's `update_available`."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sdmd.schedules.models import UpdateRun

# Results that say whether a newer image exists; error and skipped runs say nothing about it.
# A rolled-back update still counts: the newer image exists, it just did not pass the gate.
AVAILABILITY = {"up_to_date": False, "updated": False, "update_available": True, "rolled_back": True}


def updates_available(session: Session) -> set[str]:
    """Ids of services whose latest conclusive run found a newer image than the one running."""
    latest = (select(UpdateRun.service_id, func.max(UpdateRun.id).label("run_id"))
              .where(UpdateRun.result.in_(list(AVAILABILITY)))
              .group_by(UpdateRun.service_id).subquery())
    stmt = select(UpdateRun.service_id).join(latest, UpdateRun.id == latest.c.run_id).where(
        UpdateRun.result.in_([r for r, available in AVAILABILITY.items() if available]))
    return set(session.scalars(stmt))


def update_available_for(session: Session, service_id: str) -> bool:
    """The same answer as `updates_available` for one service (GET /api/services/{id})."""
    stmt = (select(UpdateRun.result).where(UpdateRun.service_id == service_id,
                                           UpdateRun.result.in_(list(AVAILABILITY)))
            .order_by(UpdateRun.id.desc()).limit(1))
    return bool(AVAILABILITY.get(session.scalar(stmt) or "", False))
