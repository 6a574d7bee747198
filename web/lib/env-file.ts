// A stack's .env as compose reads it (the same rules as sdmd/services/envfile.py), kept line by line so
// an edit in the table rewrites only the lines that changed: comments, blank lines, quoting and order
// elsewhere stay as the person wrote them.

export interface EnvOther {
  kind: "other";
  raw: string;
}

export interface EnvEntry {
  kind: "entry";
  id: string;
  key: string;
  value: string;
  /** The line(s) as in the file; undefined for a row added in the editor. */
  raw?: string;
  exported?: boolean;
  original?: { key: string; value: string };
}

export type EnvItem = EnvOther | EnvEntry;

export const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAFE_VALUE_RE = /^[A-Za-z0-9_./:@%+,=-]*$/;

let nextId = 0;
export const newRowId = (): string => `row${++nextId}`;

function unquoteDouble(body: string): string {
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$" };
  return body.replace(/\\(.)/gs, (_, c: string) => escapes[c] ?? `\\${c}`);
}

/** The file as items (entries and everything else), and its problems in words (none means valid). */
export function parseEnvFile(text: string): { items: EnvItem[]; problems: string[] } {
  const items: EnvItem[] = [];
  const problems: string[] = [];
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  let i = 0;
  while (i < lines.length) {
    const number = i + 1;
    const first = lines[i] ?? "";
    i += 1;
    let line = first.trim();
    if (!line || line.startsWith("#")) {
      items.push({ kind: "other", raw: first });
      continue;
    }
    const exported = line.startsWith("export ");
    if (exported) line = line.slice("export ".length).trimStart();
    const eq = line.indexOf("=");
    if (eq < 0) {
      problems.push(`line ${number}: ${line} has no '=' (write ${line}= for an empty value)`);
      items.push({ kind: "other", raw: first });
      continue;
    }
    const key = line.slice(0, eq).trim();
    let rest = line.slice(eq + 1).trimStart();
    let raw = first;
    if (!KEY_RE.test(key)) {
      problems.push(`line ${number}: '${key}' is not a variable name (letters, digits and _, not starting with a digit)`);
      items.push({ kind: "other", raw: first });
      continue;
    }
    const quote = rest.charAt(0);
    let value: string;
    if (quote === '"' || quote === "'") {
      const pattern = quote === '"' ? /^((?:[^"\\]|\\.)*)"(.*)$/s : /^([^']*)'(.*)$/s;
      let body = rest.slice(1);
      let match = pattern.exec(body);
      while (!match && i < lines.length) {
        body += `\n${lines[i] ?? ""}`;
        raw += `\n${lines[i] ?? ""}`;
        i += 1;
        match = pattern.exec(body);
      }
      if (!match) {
        problems.push(`line ${number}: the value of ${key} has no closing ${quote}`);
        items.push({ kind: "other", raw });
        continue;
      }
      const trailing = (match[2] ?? "").trim();
      if (trailing && !trailing.startsWith("#")) {
        problems.push(`line ${number}: unexpected text after the quoted value of ${key}`);
        items.push({ kind: "other", raw });
        continue;
      }
      value = quote === '"' ? unquoteDouble(match[1] ?? "") : match[1] ?? "";
    } else {
      value = (rest.split(/\s+#/)[0] ?? "").trim();
    }
    items.push({ kind: "entry", id: newRowId(), key, value, raw, exported, original: { key, value } });
  }
  return { items, problems };
}

/** A value written so compose reads back exactly it: bare when safe, 'literal' when it can be, else "escaped". */
export function formatValue(value: string): string {
  if (SAFE_VALUE_RE.test(value)) return value;
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "\\$").replace(/\n/g, "\\n")}"`;
}

export function entryChanged(e: EnvEntry): boolean {
  return !e.original || e.original.key !== e.key || e.original.value !== e.value;
}

/** Back to text: unchanged lines as they were, changed and new entries written with formatValue. */
export function serializeEnv(items: EnvItem[]): string {
  const out = items.map((item) => {
    if (item.kind === "other") return item.raw;
    if (item.raw !== undefined && !entryChanged(item)) return item.raw;
    return `${item.exported ? "export " : ""}${item.key}=${formatValue(item.value)}`;
  });
  const text = out.join("\n");
  return text.trim() ? `${text}\n` : "";
}

/** What is wrong with the rows as the table holds them (empty or bad names, duplicates). */
export function rowProblems(items: EnvItem[]): Map<string, string> {
  const problems = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const item of items) {
    if (item.kind !== "entry") continue;
    if (!item.key) problems.set(item.id, "a name is required");
    else if (!KEY_RE.test(item.key)) problems.set(item.id, "letters, digits and _, not starting with a digit");
    else if (seen.has(item.key)) problems.set(item.id, `${item.key} is already defined above`);
    seen.set(item.key, item.id);
  }
  return problems;
}

/** A value as the table shows it while values are hidden: its length stays secret too. */
export const MASK = "••••••••";
