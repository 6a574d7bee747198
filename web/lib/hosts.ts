// Pure helpers of the Hosts page (issue 10): URL kinds, labels as text, the body a form sends, and the
// words for a host's state. No React here, so the rules are unit-tested (tests/hosts.test.ts).

import type { Host, HostCreate, HostUpdate } from "@/lib/api/types";

export type HostKind = "unix" | "ssh" | "tcp" | null;

/** Which transport a URL means; null for anything sdmd refuses (http://, file://, no scheme). */
export function urlKind(url: string): HostKind {
  const match = /^(unix|ssh|tcp):\/\//i.exec(url.trim());
  return match ? (match[1]!.toLowerCase() as HostKind) : null;
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** Labels as one `key=value` a line (what the form's text area shows). */
export function labelsToText(labels: Record<string, string> | null | undefined): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");
}

/** Parses `key=value` lines; blank lines are skipped. Errors name the line, so the form can show them. */
export function parseLabels(text: string): { labels: Record<string, string>; errors: string[] } {
  const labels: Record<string, string> = {};
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const eq = line.indexOf("=");
    const key = eq < 0 ? line : line.slice(0, eq).trim();
    if (eq <= 0 || !key) {
      errors.push(`line ${i + 1}: write key=value`);
      return;
    }
    if (key in labels) errors.push(`line ${i + 1}: ${key} is given twice`);
    labels[key] = line.slice(eq + 1).trim();
  });
  return { labels, errors };
}

export interface HostFormValues {
  name: string;
  url: string;
  labels: string;
  ca: string;
  cert: string;
  key: string;
  sshKey: string;
  fingerprint: string;
}

export const EMPTY_HOST_FORM: HostFormValues = {
  name: "", url: "", labels: "", ca: "", cert: "", key: "", sshKey: "", fingerprint: "",
};

export type HostFormErrors = Partial<Record<keyof HostFormValues, string>>;

/**
 * What the form lacks before sdmd is asked. `editing` hosts keep their stored material when these fields
 * stay empty (it is never sent back to the browser), so it is only required when the URL's kind changes.
 */
export function validateHostForm(values: HostFormValues, editing?: Host | null): HostFormErrors {
  const errors: HostFormErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = "a name is required";
  else if (!NAME_PATTERN.test(name)) errors.name = "lowercase letters, digits, - and _ (starting with a letter or digit)";
  else if (name === "local") errors.name = "local is the built-in host";
  const kind = urlKind(values.url);
  if (!values.url.trim()) errors.url = "a URL is required";
  else if (!kind) errors.url = "unix://, ssh:// or tcp:// only";
  const { errors: labelErrors } = parseLabels(values.labels);
  if (labelErrors.length) errors.labels = labelErrors.join("; ");
  const kindKept = !!editing && editing.kind === kind;
  if (kind === "tcp") {
    const given = [values.ca, values.cert, values.key].filter((v) => v.trim()).length;
    if (given && given < 3) {
      for (const field of ["ca", "cert", "key"] as const) {
        if (!values[field].trim()) errors[field] = "the CA, the certificate and the key go together";
      }
    } else if (!given && !kindKept) {
      errors.ca = "a tcp:// host needs mutual TLS: the CA, sdmd's client certificate and its key";
    }
  }
  if (kind === "ssh" && !values.sshKey.trim() && !kindKept) errors.sshKey = "an ssh:// host needs the private key sdmd logs in with";
  return errors;
}

function material(values: HostFormValues, kind: HostKind): Pick<HostCreate, "tls" | "ssh_key" | "fingerprint"> {
  if (kind === "tcp" && values.ca.trim()) return { tls: { ca: values.ca, cert: values.cert, key: values.key } };
  if (kind === "ssh") {
    return {
      ...(values.sshKey.trim() ? { ssh_key: values.sshKey } : {}),
      ...(values.fingerprint.trim() ? { fingerprint: values.fingerprint.trim() } : {}),
    };
  }
  return {};
}

export function createBody(values: HostFormValues): HostCreate {
  const kind = urlKind(values.url);
  return { name: values.name.trim(), url: values.url.trim(), labels: parseLabels(values.labels).labels, ...material(values, kind) };
}

/** Only what changed: a PUT re-tests the host when the URL or material is in it. */
export function updateBody(values: HostFormValues, host: Host): HostUpdate {
  const body: HostUpdate = {};
  const kind = urlKind(values.url);
  if (values.name.trim() !== host.name) body.name = values.name.trim();
  if (values.url.trim() !== host.url) body.url = values.url.trim();
  const labels = parseLabels(values.labels).labels;
  if (JSON.stringify(labels) !== JSON.stringify(host.labels ?? {})) body.labels = labels;
  const extra = material(values, kind);
  // A fingerprint alone pins nothing on a PUT (only with a new URL): the test dialog does that.
  if (!body.url) delete extra.fingerprint;
  return { ...body, ...extra };
}

export const HOST_STATES: Record<string, { label: string; variant: "success" | "warning" | "destructive" | "muted" }> = {
  connected: { label: "connected", variant: "success" },
  reconnecting: { label: "reconnecting", variant: "warning" },
  unreachable: { label: "unreachable", variant: "destructive" },
  missing: { label: "host removed", variant: "destructive" },
};

/** Sorts hosts as the API does (`local` first, then by name) and keeps names only once. */
export function hostNames(hosts: { name: string }[] | undefined, services: { host?: string | null }[] | undefined): string[] {
  const names = new Set<string>();
  for (const h of hosts ?? []) names.add(h.name);
  for (const s of services ?? []) names.add(s.host || "local");
  return [...names].sort((a, b) => (a === "local" ? -1 : b === "local" ? 1 : a.localeCompare(b)));
}
