"""Next-run computation with zoneinfo, across daylight-saving changes."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sdmd.schedules.timing import ScheduleValueError, next_run, parse_day, parse_time_of_day, zone

BERLIN = ZoneInfo("Europe/Berlin")


def runs(time_of_day: str, tz: str, start: datetime, count: int, frequency: str = "daily",
         day: str | None = None) -> list[datetime]:
    out, after = [], start
    for _ in range(count):
        after = next_run(frequency=frequency, time_of_day=time_of_day, timezone=tz, day_of_week=day, after=after)
        out.append(after)
    return out


def test_daily_0300_berlin_fires_at_local_0300_on_both_sides_of_both_changes():
    spring = runs("03:00", "Europe/Berlin", datetime(2026, 3, 27, 12, tzinfo=UTC), 4)
    assert [r.astimezone(BERLIN).time() for r in spring] == [time(3)] * 4
    assert [r.astimezone(BERLIN).day for r in spring] == [28, 29, 30, 31]
    # The night the clocks go forward is an hour shorter: 23 h between the runs.
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert spring[0] == datetime(2026, 3, 28, 2, tzinfo=UTC) and spring[1] == datetime(2026, 3, 29, 1, tzinfo=UTC)

    autumn = runs("03:00", "Europe/Berlin", datetime(2026, 10, 23, 12, tzinfo=UTC), 4)
    assert [r.astimezone(BERLIN).time() for r in autumn] == [time(3)] * 4
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    assert autumn[1] == datetime(2026, 10, 25, 2, tzinfo=UTC)


def test_a_local_time_that_does_not_exist_fires_once_just_after_the_jump():
    # 2026-03-29 02:00 -> 03:00 in Berlin: 02:30 never happens that day.
    got = runs("02:30", "Europe/Berlin", datetime(2026, 3, 28, 12, tzinfo=UTC), 3)
    assert [r.astimezone(BERLIN).date().day for r in got] == [29, 30, 31]
    assert got[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, once
    assert got[0].astimezone(BERLIN).time() == time(3, 30)
    assert got[1].astimezone(BERLIN).time() == time(2, 30)


def test_a_local_time_that_happens_twice_fires_only_at_the_first():
    # 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    got = runs("02:30", "Europe/Berlin", datetime(2026, 10, 24, 12, tzinfo=UTC), 3)
    assert got[0] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert got[1] == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # the second 02:30 was skipped
    # Asked just after the first 02:30, or between the two, the next run is the following day.
    for after in (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
                  datetime(2026, 10, 25, 1, 30, tzinfo=UTC)):
        assert next_run(frequency="daily", time_of_day="02:30", timezone="Europe/Berlin", day_of_week=None,
                        after=after) == got[1]


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
                                "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("at", ["00:00", "00:30", "01:30", "02:00", "02:30", "03:00", "23:59:59"])
def test_exactly_one_run_per_local_day_for_a_whole_year(tz: str, at: str):
    zone_info = ZoneInfo(tz)
    start = datetime(2026, 1, 1, tzinfo=zone_info).astimezone(UTC)
    got = runs(at, tz, start, 365)
    local_days = Counter(r.astimezone(zone_info).date() for r in got)
    assert max(local_days.values()) == 1
    first = got[0].astimezone(zone_info).date()
    assert sorted(local_days) == [first + timedelta(days=i) for i in range(365)]
    assert all(b > a for a, b in itertools.pairwise(got))
    wanted = parse_time_of_day(at)
    # Off the wanted local time only where that time did not exist (and then by the jump, under 2 h).
    shifted = [r for r in got if r.astimezone(zone_info).time() != wanted]
    assert len(shifted) <= 2
    for r in shifted:
        local = r.astimezone(zone_info)
        intended = datetime.combine(local.date(), wanted)
        assert timedelta(0) < local.replace(tzinfo=None) - intended <= timedelta(hours=2)


def test_weekly_runs_only_on_its_day_once_a_week_across_dst():
    got = runs("02:30", "Europe/Berlin", datetime(2026, 3, 1, tzinfo=UTC), 10, "weekly", "Sunday")
    local = [r.astimezone(BERLIN) for r in got]
    assert all(d.strftime("%A") == "Sunday" for d in local)
    assert [(b.date() - a.date()).days for a, b in itertools.pairwise(local)] == [7] * 9
    assert datetime(2026, 3, 29, 1, 30, tzinfo=UTC) in got  # the skipped 02:30, run once at 03:30
    assert datetime(2026, 10, 25, 0, 30, tzinfo=UTC) not in got  # a Sunday too, but not in these 10 weeks
    autumn = runs("02:30", "Europe/Berlin", datetime(2026, 10, 20, tzinfo=UTC), 2, "weekly", "sunday")
    assert autumn == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 11, 1, 1, 30, tzinfo=UTC)]


def test_next_run_is_strictly_after():
    at = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert next_run(frequency="daily", time_of_day="03:00", timezone="UTC", day_of_week=None,
                    after=at) == at + timedelta(days=1)
    assert next_run(frequency="daily", time_of_day="03:00", timezone="UTC", day_of_week=None,
                    after=at - timedelta(microseconds=1)) == at


@pytest.mark.parametrize("value", ["25:00", "3pm", "24:00", "3:00", "03:60", "03:00:60", "", " 03:00", "0300"])
def test_time_of_day_rejected(value: str):
    with pytest.raises(ScheduleValueError):
        parse_time_of_day(value)


def test_time_of_day_accepted():
    assert parse_time_of_day("00:00") == time(0, 0)
    assert parse_time_of_day("23:59") == time(23, 59)
    assert parse_time_of_day("03:00:05") == time(3, 0, 5)


@pytest.mark.parametrize("value", ["Mars/Olympus", "europe/berlin", "", "../../etc/passwd", "CEST"])
def test_unknown_timezones_rejected(value: str):
    with pytest.raises(ScheduleValueError):
        zone(value)


def test_days():
    assert parse_day("sunday") == "Sunday"
    with pytest.raises(ScheduleValueError):
        parse_day("Sun")
