from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sdmd.schedules.timing import DAYS, FREQUENCIES, TIME_RE, zone_names
from sdmd.updates.schemas import RunRead

__all__ = ["RunRead", "ScheduleCreate", "ScheduleRead", "ScheduleUpdate"]


# The schema states what the service checks (patterns, not enums, so the generated web client keeps plain
# strings): a request the schema accepts is never refused as invalid input. The service's own checks
# stay the source of the error messages.
def _one_of(values) -> str:
    return "^(" + "|".join(v.replace("+", "\\+") for v in values) + ")$"


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


FREQUENCY = {"pattern": _one_of(FREQUENCIES)}
MODE = {"pattern": _one_of(("update", "check"))}
TIME_OF_DAY = {"pattern": TIME_RE.pattern}
DAY = {"pattern": r"^\s*(" + "|".join(_any_case(d) for d in DAYS) + r")\s*$"}
TIMEZONE = {"pattern": _one_of(sorted(zone_names()))}
# weekly needs a day; daily takes none.
COMBINATIONS = {"allOf": [
    {"if": {"properties": {"frequency": {"const": "weekly"}}, "required": ["frequency"]},
     "then": {"required": ["day_of_week"], "properties": {"day_of_week": {"type": "string"}}}},
    {"if": {"properties": {"frequency": {"const": "daily"}}, "required": ["frequency"]},
     "then": {"properties": {"day_of_week": {"type": "null"}}}},
]}


class ScheduleCreate(BaseModel):
    """Types only; the meaning of each value (and of their combination) is checked by the service."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=COMBINATIONS)

    service_id: str
    frequency: str = Field(json_schema_extra=FREQUENCY, examples=["weekly"])
    time_of_day: str = Field(examples=["03:00"], json_schema_extra=TIME_OF_DAY)
    day_of_week: str | None = Field(default=None, examples=["Sunday"], description="weekly only",
                                    json_schema_extra=DAY)
    timezone: str | None = Field(default=None, examples=["Europe/Berlin"], json_schema_extra=TIMEZONE,
                                 description="IANA name; defaults to SDMD_TIMEZONE")
    enabled: bool = True
    mode: str = Field(default="update", description="update applies a newer image; check only reports it",
                      json_schema_extra=MODE)


# What a client may send back unchanged from a GET; ignored on PUT.
READ_ONLY = {"id", "next_run_at", "last_run_at", "last_result", "created_at", "updated_at", "service_name"}


class ScheduleUpdate(BaseModel):
    """A PUT changes the fields it names; naming frequency daily without day_of_week clears the day."""

    model_config = ConfigDict(extra="forbid", strict=True)

    service_id: str | None = None
    frequency: str | None = Field(default=None, json_schema_extra=FREQUENCY)
    time_of_day: str | None = Field(default=None, json_schema_extra=TIME_OF_DAY)
    day_of_week: str | None = Field(default=None, json_schema_extra=DAY)
    timezone: str | None = Field(default=None, json_schema_extra=TIMEZONE)
    enabled: bool | None = None
    mode: str | None = Field(default=None, json_schema_extra=MODE)
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
