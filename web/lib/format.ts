// Small formatting helpers shared by the images, health and GitOps pages.

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Bytes in decimal units, as `docker images` shows them (1.98 MB). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60],
];

/** "3 days ago", "in 2 hours", "just now" (for times within a minute). */
export function relativeTime(iso: string | Date, now: number = Date.now()): string {
  const then = typeof iso === "string" ? Date.parse(iso) : iso.getTime();
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now) / 1000);
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function shortSha(sha: string | null | undefined, length = 7): string {
  return (sha ?? "").replace(/^sha256:/, "").slice(0, length);
}
