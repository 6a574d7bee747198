// Audit log filters live in the page's query string, so a filtered view can be bookmarked and shared;
// datetime-local inputs carry the browser's local time and go to the API as UTC instants.

export interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  since: string; // datetime-local value, "" when unset
  until: string;
  limit: number;
}

export const EMPTY_FILTERS: AuditFilters = { actor: "", action: "", target: "", since: "", until: "", limit: 50 };

export const KNOWN_ACTIONS = [
  "auth.login",
  "auth.login_failed",
  "auth.logout",
  "service.*",
  "service.create",
  "service.update",
  "service.delete",
  "service.restart",
  "service.adopt",
  "service.apply",
  "update.run",
  "image.pull",
  "schedule.*",
  "schedule.create",
  "schedule.update",
  "schedule.delete",
  "gitops.*",
  "user.*",
] as const;

export function filtersFromParams(params: URLSearchParams): AuditFilters {
  const limit = Number(params.get("limit"));
  return {
    actor: params.get("actor") ?? "",
    action: params.get("action") ?? "",
    target: params.get("target") ?? "",
    since: params.get("since") ?? "",
    until: params.get("until") ?? "",
    limit: Number.isInteger(limit) && limit > 0 && limit <= 500 ? limit : EMPTY_FILTERS.limit,
  };
}

export function filtersToParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ["actor", "action", "target", "since", "until"] as const) {
    const value = filters[key].trim();
    if (value) params.set(key, value);
  }
  if (filters.limit !== EMPTY_FILTERS.limit) params.set("limit", String(filters.limit));
  return params;
}

/**
 * Where in the log the page is, also in the query string (`page=3&after=c1,c2`): the cursors that lead to
 * each page after the first (the API pages forward only), so Newer, a reload and a shared link all work.
 * A cursor is an opaque URL-safe token (sdmd's are "<µs>.<id>"), never a comma, so a comma separates them.
 */
export interface AuditPosition {
  /** cursors[i] fetches page i + 2 */
  cursors: string[];
}

const CURSOR_RE = /^[A-Za-z0-9._~-]{1,200}$/;

export function positionFromParams(params: URLSearchParams): AuditPosition {
  const cursors = (params.get("after") ?? "").split(",").filter((c) => CURSOR_RE.test(c));
  return { cursors };
}

export function pageNumber(position: AuditPosition): number {
  return position.cursors.length + 1;
}

export function currentCursor(position: AuditPosition): string | null {
  return position.cursors[position.cursors.length - 1] ?? null;
}

/** The URL of the filters at a position: filters first, then `page` and `after` when past page 1. */
export function auditUrl(filters: AuditFilters, position: AuditPosition = { cursors: [] }): string {
  const params = filtersToParams(filters);
  if (position.cursors.length) {
    params.set("page", String(pageNumber(position)));
    params.set("after", position.cursors.join(","));
  }
  const qs = params.toString();
  return qs ? `/audit/?${qs}` : "/audit/";
}

export function olderPosition(position: AuditPosition, nextCursor: string): AuditPosition {
  return { cursors: [...position.cursors, nextCursor] };
}

export function newerPosition(position: AuditPosition): AuditPosition {
  return { cursors: position.cursors.slice(0, -1) };
}

/** A datetime-local value (local wall time) → ISO 8601 UTC, or undefined when empty/invalid. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The query the API gets: filters plus the page cursor. */
export function auditQuery(filters: AuditFilters, cursor: string | null): Record<string, string | number | undefined> {
  return {
    actor: filters.actor.trim() || undefined,
    action: filters.action.trim() || undefined,
    target: filters.target.trim() || undefined,
    since: localToIso(filters.since),
    until: localToIso(filters.until),
    limit: filters.limit,
    cursor: cursor ?? undefined,
  };
}

/**
 * Normalises the page shape: {items, next_cursor} as planned, a bare list, or common alternatives
 * ({entries}, {next}), so the table works whichever the API settled on.
 */
export function normalisePage<T>(body: unknown): { items: T[]; nextCursor: string | null } {
  if (Array.isArray(body)) return { items: body as T[], nextCursor: null };
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const items = (b.items ?? b.entries ?? b.results ?? b.data ?? []) as T[];
    const next = b.next_cursor ?? b.cursor ?? b.next ?? null;
    return { items: Array.isArray(items) ? items : [], nextCursor: typeof next === "string" && next ? next : null };
  }
  return { items: [], nextCursor: null };
}
