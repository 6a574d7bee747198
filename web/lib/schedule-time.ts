// Schedules run at a wall-clock time in their own IANA timezone; people read the next run both there
// and in their browser's zone. Pure functions over Intl so they are testable with a fixed zone.

export const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type Day = (typeof DAYS)[number];

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isValidTime(value: string): boolean {
  return TIME_RE.test(value);
}

/**
 * What a person types into the 24-hour time field, made HH:MM: "3" → "03:00", "330" → "03:30",
 * "3:5" → "03:05", "1530" → "15:30". Anything else is returned as typed, for the validation to name.
 */
export function normaliseTime(value: string): string {
  const v = value.trim().replace(/[.h]/i, ":");
  let m = /^(\d{1,2}):(\d{1,2})$/.exec(v);
  if (!m) m = /^(\d{1,2})()$/.exec(v) ?? /^(\d{1,2})(\d{2})$/.exec(v);
  if (!m) return value.trim();
  const hours = Number(m[1]);
  const minutes = Number(m[2] || 0);
  if (hours > 23 || minutes > 59) return value.trim();
  return `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
}

/** How soon to look at the schedules again: right after a run is due, else every 15 s. */
export function schedulesRefreshMs(schedules: { enabled: boolean; next_run_at: string | null }[] | undefined,
  now: number = Date.now()): number {
  const soon = (schedules ?? []).some((s) => {
    if (!s.enabled || !s.next_run_at) return false;
    const due = new Date(s.next_run_at).getTime();
    return due - now < 15_000 && now - due < 120_000; // due now, or ran in the last two minutes
  });
  return soon ? 3_000 : 15_000;
}

export function isValidTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

/** A day as the API may send it (0-6 from Monday, or a name in any case) → lowercase name. */
export function dayName(value: string | number | null | undefined): Day | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number" || /^\d$/.test(String(value))) {
    return DAYS[Number(value)] ?? null;
  }
  const lower = String(value).toLowerCase();
  return DAYS.find((d) => d === lower || d.slice(0, 3) === lower.slice(0, 3)) ?? null;
}

/** sdmd names days in English, capitalised ("Sunday"). */
export function dayForApi(value: string): string {
  const day = dayName(value);
  return day ? capitalise(day) : value;
}

export function capitalise(value: string): string {
  return value ? value[0]!.toUpperCase() + value.slice(1) : value;
}

/** "Sun 30 Nov, 03:00 CET" for an instant in a zone. */
export function formatInZone(iso: string | null | undefined, zone: string, locale = "en-GB"): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  try {
    return new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZoneName: "short",
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

export function describeSchedule(s: {
  frequency: string;
  day_of_week: string | number | null;
  time_of_day: string;
  timezone: string;
}): string {
  const day = dayName(s.day_of_week);
  const when = s.frequency === "weekly" && day ? `every ${capitalise(day)}` : "every day";
  return `${when} at ${s.time_of_day} (${s.timezone})`;
}

/** "in 3 h 5 min" / "5 min ago" relative to now. */
export function relative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return "";
  const diff = t - now;
  const abs = Math.abs(diff);
  const minutes = Math.round(abs / 60_000);
  let text: string;
  if (minutes < 1) text = "less than a minute";
  else if (minutes < 60) text = `${minutes} min`;
  else if (minutes < 48 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    text = m ? `${h} h ${m} min` : `${h} h`;
  } else text = `${Math.round(minutes / 1440)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export interface ScheduleDraft {
  service_id: string;
  frequency: "daily" | "weekly";
  day_of_week: string;
  time_of_day: string;
  timezone: string;
  mode: "update" | "check";
  enabled: boolean;
}

export function validateSchedule(d: ScheduleDraft): Partial<Record<keyof ScheduleDraft, string>> {
  const errors: Partial<Record<keyof ScheduleDraft, string>> = {};
  if (!d.service_id) errors.service_id = "choose a service";
  if (d.frequency !== "daily" && d.frequency !== "weekly") errors.frequency = "daily or weekly";
  if (d.frequency === "weekly" && !dayName(d.day_of_week)) errors.day_of_week = "choose a day";
  if (!isValidTime(d.time_of_day)) errors.time_of_day = "a time as HH:MM, 00:00 to 23:59";
  if (!isValidTimeZone(d.timezone)) errors.timezone = "an IANA time zone such as Europe/Paris or UTC";
  return errors;
}
