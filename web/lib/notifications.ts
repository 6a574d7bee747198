// Settings → Notifications: the event picker's selection <-> the API's selectors, and channel wording.
import type { NotificationEventType } from "@/lib/api/types";

/** The API's `events` ("*", "<group>.*", exact types) as the set of exact types they select. */
export function selectedTypes(selectors: string[], catalogue: NotificationEventType[]): Set<string> {
  const out = new Set<string>();
  for (const e of catalogue) {
    if (selectors.includes("*") || selectors.includes(`${e.group}.*`) || selectors.includes(e.type)) out.add(e.type);
  }
  return out;
}

/** The shortest selectors for a set of exact types: "*" for everything, "<group>.*" for a whole group, so a
 * channel that chose a whole group also gets that group's event types added later. */
export function selectorsFor(types: Set<string>, catalogue: NotificationEventType[]): string[] {
  if (catalogue.length && catalogue.every((e) => types.has(e.type))) return ["*"];
  const out: string[] = [];
  for (const [group, events] of groupEvents(catalogue)) {
    const chosen = events.filter((e) => types.has(e.type));
    if (!chosen.length) continue;
    if (chosen.length === events.length) out.push(`${group}.*`);
    else out.push(...chosen.map((e) => e.type));
  }
  return out;
}

/** The catalogue by group, in the catalogue's order. */
export function groupEvents(catalogue: NotificationEventType[]): [string, NotificationEventType[]][] {
  const groups = new Map<string, NotificationEventType[]>();
  for (const e of catalogue) groups.set(e.group, [...(groups.get(e.group) ?? []), e]);
  return [...groups];
}

const GROUP_LABELS: Record<string, string> = {
  update: "Updates", container: "Containers", host: "Hosts", gitops: "GitOps", security: "Security",
};

export function groupLabel(group: string): string {
  return GROUP_LABELS[group] ?? group.charAt(0).toUpperCase() + group.slice(1);
}

/** "update.rolled_back" -> "rolled back". */
export function eventLabel(type: string): string {
  return (type.split(".").slice(1).join(".") || type).replace(/_/g, " ");
}

/** The `events` of a channel in words: "all events", "all updates, container died". */
export function eventsSummary(selectors: string[]): string {
  if (!selectors.length) return "no events";
  if (selectors.includes("*")) return "all events";
  return selectors.map((s) => s.endsWith(".*")
    ? `all ${groupLabel(s.slice(0, -2)).toLowerCase()}`
    : `${s.split(".")[0]} ${eventLabel(s)}`).join(", ");
}

// A few Apprise schemes by name; any other shows as its scheme.
const KINDS: Record<string, string> = {
  json: "JSON webhook", jsons: "JSON webhook", form: "Form webhook", forms: "Form webhook", xml: "XML webhook",
  xmls: "XML webhook", mailto: "E-mail", mailtos: "E-mail", ntfy: "ntfy", ntfys: "ntfy", gotify: "Gotify",
  gotifys: "Gotify", tgram: "Telegram", discord: "Discord", slack: "Slack", matrix: "Matrix", matrixs: "Matrix",
  msteams: "Microsoft Teams", pover: "Pushover", signal: "Signal", signals: "Signal", apprise: "Apprise API",
  apprises: "Apprise API", mqtt: "MQTT", mqtts: "MQTT", rocket: "Rocket.Chat", rockets: "Rocket.Chat",
};

export function channelKind(maskedUrl: string): string {
  const scheme = maskedUrl.split("://")[0]?.toLowerCase() ?? "";
  return KINDS[scheme] ?? (scheme || "unknown");
}

export type DeliveryTone = "success" | "destructive" | "warning" | "muted" | "info";

export function statusTone(status: string): DeliveryTone {
  if (status === "sent" || status === "digested") return "success";
  if (status === "failed") return "destructive";
  if (status === "retrying") return "warning";
  if (status === "cancelled") return "muted";
  return "info";
}

export function statusLabel(status: string): string {
  return status === "digest" ? "waiting for digest" : status;
}
