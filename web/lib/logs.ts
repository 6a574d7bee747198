// Log lines as the API returns them ({container, service, timestamp, message}, merged by time), and
// what the log viewer does with them: search, timestamps shown in the browser's zone, highlighting.

export interface LogLine {
  container: string;
  service: string | null;
  timestamp: string;
  message: string;
}

export interface Segment {
  text: string;
  match: boolean;
}

/** Case-insensitive search over message and container; an empty query keeps everything. */
export function filterLines(lines: LogLine[], query: string): LogLine[] {
  const q = query.trim().toLowerCase();
  if (!q) return lines;
  return lines.filter((l) => l.message.toLowerCase().includes(q) || l.container.toLowerCase().includes(q));
}

export function highlight(text: string, query: string): Segment[] {
  const q = query.trim().toLowerCase();
  if (!q) return [{ text, match: false }];
  const out: Segment[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(q); i !== -1; i = lower.indexOf(q, at)) {
    if (i > at) out.push({ text: text.slice(at, i), match: false });
    out.push({ text: text.slice(i, i + q.length), match: true });
    at = i + q.length;
  }
  if (at < text.length) out.push({ text: text.slice(at), match: false });
  return out;
}

/** Docker's RFC 3339 nanosecond stamps → "2026-11-30 17:04:05.123" in the given zone. */
export function formatStamp(stamp: string, zone?: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(stamp);
  if (!m) return stamp;
  const millis = (m[2] ?? ".000").slice(0, 4).padEnd(4, "0");
  const date = new Date(`${m[1]}${millis}${m[3]}`);
  if (Number.isNaN(date.getTime())) return stamp;
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const hour = get("hour") === "24" ? "00" : get("hour");
  return `${get("year")}-${get("month")}-${get("day")} ${hour}:${get("minute")}:${get("second")}${millis}`;
}

/** A stable colour slot per container so merged logs stay readable. */
export function containerSlot(container: string, slots = 6): number {
  let h = 0;
  for (let i = 0; i < container.length; i++) h = (h * 31 + container.charCodeAt(i)) >>> 0;
  return h % slots;
}

export function linesToText(lines: LogLine[], withTimestamps: boolean): string {
  return lines
    .map((l) => `${l.container} | ${withTimestamps ? `${l.timestamp} ` : ""}${l.message}`)
    .join("\n");
}

/** Lines kept in the browser while following: the oldest go first. */
export const MAX_LIVE_LINES = 5000;

/** live: a `lines` event of the follow stream applied to what is shown (a backlog starts afresh). */
export function appendLines(shown: LogLine[], incoming: LogLine[], backlog: boolean, max = MAX_LIVE_LINES): LogLine[] {
  const next = backlog ? incoming.slice() : shown.concat(incoming);
  return next.length > max ? next.slice(next.length - max) : next;
}

/** A datetime-local value ("2026-12-01T10:00", the browser's zone) as RFC 3339 UTC for since/until. */
export function localToUtc(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
