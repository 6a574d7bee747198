import { describe, expect, it } from "vitest";

import {
  dayName, describeSchedule, formatInZone, isValidTime, isValidTimeZone, relative, validateSchedule,
} from "@/lib/schedule-time";

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
