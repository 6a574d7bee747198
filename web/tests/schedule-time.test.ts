import { describe, expect, it } from "vitest";

import {
  dayName, describeSchedule, formatInZone, isValidTime, isValidTimeZone, normaliseTime, relative, schedulesRefreshMs,
  validateSchedule,
} from "@/lib/schedule-time";

describe("the 24-hour time field", () => {
  it.each([["3", "03:00"], ["330", "03:30"], ["3:5", "03:05"], ["1530", "15:30"], ["15h30", "15:30"], ["00:00", "00:00"]])(
    "reads %s as %s", (typed, time) => expect(normaliseTime(typed)).toBe(time),
  );
  it.each(["3:00 PM", "24:00", "12:60", "abc"])("leaves %s for the validation to name", (typed) => {
    expect(normaliseTime(typed)).toBe(typed);
    expect(isValidTime(normaliseTime(typed))).toBe(false);
  });
});

describe("schedulesRefreshMs", () => {
  it("looks again soon around a due run, else every 15 s", () => {
    const now = Date.parse("2026-11-30T03:00:00Z");
    const at = (iso: string, enabled = true) => [{ enabled, next_run_at: iso }];
    expect(schedulesRefreshMs(at("2026-11-30T03:00:05Z"), now)).toBe(3_000);
    expect(schedulesRefreshMs(at("2026-11-30T02:59:00Z"), now)).toBe(3_000);
    expect(schedulesRefreshMs(at("2026-11-30T04:00:00Z"), now)).toBe(15_000);
    expect(schedulesRefreshMs(at("2026-11-30T03:00:05Z", false), now)).toBe(15_000);
    expect(schedulesRefreshMs(undefined, now)).toBe(15_000);
  });
});

describe("formatInZone", () => {
  it("shows one instant in the schedule's zone and in another", () => {
    const iso = "2026-11-30T02:00:00Z"; // a Monday
    expect(formatInZone(iso, "Europe/Paris")).toBe("Mon 30 Nov, 03:00 CET");
    expect(formatInZone(iso, "America/New_York")).toBe("Sun 29 Nov, 21:00 GMT-5");
    expect(formatInZone(iso, "UTC")).toBe("Mon 30 Nov, 02:00 UTC");
  });

  it("follows daylight saving time", () => {
    expect(formatInZone("2026-07-01T01:00:00Z", "Europe/Paris")).toBe("Wed 1 Jul, 03:00 CEST");
  });

  it("shows a dash for nothing or nonsense", () => {
    expect(formatInZone(null, "UTC")).toBe("—");
    expect(formatInZone("not a date", "UTC")).toBe("—");
  });
});

describe("schedule validation", () => {
  it("checks time, zone and weekly day", () => {
    expect(isValidTime("03:00")).toBe(true);
    expect(isValidTime("24:00")).toBe(false);
    expect(isValidTime("3:00")).toBe(false);
    expect(isValidTimeZone("Europe/Paris")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    const errors = validateSchedule({
      service_id: "", frequency: "weekly", day_of_week: "", time_of_day: "25:00", timezone: "Nowhere",
      mode: "update", enabled: true,
    });
    expect(Object.keys(errors).sort()).toEqual(["day_of_week", "service_id", "time_of_day", "timezone"]);
    expect(validateSchedule({
      service_id: "svc", frequency: "daily", day_of_week: "", time_of_day: "03:00", timezone: "UTC",
      mode: "check", enabled: false,
    })).toEqual({});
  });

  it("reads days as names or numbers from Monday", () => {
    expect(dayName("Sunday")).toBe("sunday");
    expect(dayName("sun")).toBe("sunday");
    expect(dayName(0)).toBe("monday");
    expect(dayName("6")).toBe("sunday");
    expect(dayName("")).toBeNull();
    expect(describeSchedule({ frequency: "weekly", day_of_week: "sunday", time_of_day: "03:00", timezone: "UTC" }))
      .toBe("every Sunday at 03:00 (UTC)");
  });
});

describe("relative", () => {
  it("says how far away", () => {
    const now = Date.parse("2026-11-30T00:00:00Z");
    expect(relative("2026-11-30T03:05:00Z", now)).toBe("in 3 h 5 min");
    expect(relative("2026-11-29T23:55:00Z", now)).toBe("5 min ago");
    expect(relative("2026-12-05T00:00:00Z", now)).toBe("in 5 days");
  });
});
