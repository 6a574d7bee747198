"""When a schedule fires: wall-clock times in an IANA timezone, computed with zoneinfo.

A schedule fires once per local day (or once per local week): at its local time, or, on the day
that time does not exist (clocks jump forward over it), at the same distance past the jump
(02:30 becomes 03:30); on the day it happens twice (clocks fall back), at the first of the two.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

FREQUENCIES = ("daily", "weekly")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class ScheduleValueError(ValueError):
    """A schedule field that cannot be used; the message is meant for the API caller."""


def parse_time_of_day(value: str) -> time:
    match = TIME_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ScheduleValueError(f"time_of_day {value!r} must be HH:MM on a 24-hour clock (00:00 to 23:59), "
                                 "optionally HH:MM:SS")
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))


def parse_day(value: str) -> str:
    for day in DAYS:
        if isinstance(value, str) and value.strip().lower() == day.lower():
            return day
    raise ScheduleValueError(f"day_of_week {value!r} must be one of {', '.join(DAYS)}")


@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    # Only names from the tz database: ZoneInfo would also open arbitrary relative file names.
    if not isinstance(name, str) or name not in zone_names():
        raise ScheduleValueError(f"timezone {name!r} is not an IANA timezone name (e.g. Europe/Berlin, UTC)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleValueError(f"timezone {name!r} is not available: {exc}") from exc


def occurrence(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) a schedule set to `at` fires on the local calendar day `day`."""
    # fold=0 picks the first of two repeated times, and for a skipped time the offset before the
    # jump, which lands the same distance past it: exactly one instant per local day either way.
    local = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    return local.astimezone(UTC)


def next_run(*, frequency: str, time_of_day: str, timezone: str, day_of_week: str | None,
             after: datetime) -> datetime:
    """The first firing strictly after `after` (an aware datetime), in UTC."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    tz = zone(timezone)
    at = parse_time_of_day(time_of_day)
    weekday = DAYS.index(parse_day(day_of_week)) if frequency == "weekly" and day_of_week else None
    # Start a day early: a time skipped by a jump just before midnight lands on the next date.
    day = after.astimezone(tz).date() - timedelta(days=1)
    for _ in range(16):
        if weekday is None or day.weekday() == weekday:
            candidate = occurrence(day, at, tz)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise AssertionError("no occurrence within 16 days")  # unreachable for daily/weekly
