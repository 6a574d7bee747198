from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sdmd.updates.schemas import RunRead

__all__ = ["RunRead", "ScheduleCreate", "ScheduleRead", "ScheduleUpdate"]


class ScheduleCreate(BaseModel):
    """Types only; the meaning of each value (and of their combination) is checked by the service."""

    model_config = ConfigDict(extra="forbid", strict=True)

    service_id: str
    frequency: str
    time_of_day: str = Field(examples=["03:00"])
    day_of_week: str | None = Field(default=None, examples=["Sunday"], description="weekly only")
    timezone: str | None = Field(default=None, examples=["Europe/Berlin"],
                                 description="IANA name; defaults to SDMD_TIMEZONE")
    enabled: bool = True
    mode: str = Field(default="update", description="update applies a newer image; check only reports it")


# What a client may send back unchanged from a GET; ignored on PUT.
READ_ONLY = {"id", "next_run_at", "last_run_at", "last_result", "created_at", "updated_at", "service_name"}


class ScheduleUpdate(BaseModel):
    """A PUT changes the fields it names; naming frequency daily without day_of_week clears the day."""

    model_config = ConfigDict(extra="forbid", strict=True)

    service_id: str | None = None
    frequency: str | None = None
    time_of_day: str | None = None
    day_of_week: str | None = None
    timezone: str | None = None
    enabled: bool | None = None
    mode: str | None = None
    id: Any = None
    next_run_at: Any = None
    last_run_at: Any = None
    last_result: Any = None
    created_at: Any = None
    updated_at: Any = None
    service_name: Any = None

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k not in READ_ONLY}


class ScheduleRead(BaseModel):
    id: str
    service_id: str
    service_name: str | None = None
    frequency: str
    day_of_week: str | None
    time_of_day: str
    timezone: str
    enabled: bool
    mode: str
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_result: str | None
    created_at: datetime
    updated_at: datetime
