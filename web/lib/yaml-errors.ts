// Finds where in a compose file a server validation error points, so the editor can mark the line.
// sdmd reports YAML syntax errors from ruamel ("line 4, column 3") and compose's own errors from
// `docker compose config` ("yaml: line 4: ...", "services.web.ports.0 ...", "services.web Additional
// property foo is not allowed").

export interface LineError {
  line: number; // 1-based
  column: number | null;
  message: string;
}

function lineAt(text: string, line: number): number {
  const count = text.split("\n").length;
  return Math.min(Math.max(line, 1), count);
}

/** The 1-based line of a dotted key path (services.web.ports) in a block-style YAML text, or null. */
export function lineOfPath(text: string, path: string[]): number | null {
  const rows = text.split("\n");
  let depthIndent = -1;
  let found: number | null = null;
  let start = 0;
  for (const key of path) {
    if (/^\d+$/.test(key) && found !== null) {
      // The Nth item of a sequence below the key found so far.
      let seen = -1;
      for (let i = start; i < rows.length; i++) {
        const row = rows[i] ?? "";
        if (!row.trim() || row.trim().startsWith("#")) continue;
        const indent = row.length - row.trimStart().length;
        if (indent <= depthIndent) break;
        if (row.trimStart().startsWith("- ") || row.trim() === "-") {
          seen += 1;
          if (seen === Number(key)) {
            found = i + 1;
            start = i + 1;
            depthIndent = indent;
            break;
          }
        }
      }
      continue;
    }
    const re = new RegExp(`^(\\s*)(?:- )?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*:`);
    let hit = false;
    for (let i = start; i < rows.length; i++) {
      const row = rows[i] ?? "";
      if (!row.trim() || row.trim().startsWith("#")) continue;
      const indent = row.length - row.trimStart().length;
      if (found !== null && indent <= depthIndent) break;
      const m = re.exec(row);
      if (m && (m[1] ?? "").length > depthIndent) {
        found = i + 1;
        start = i + 1;
        depthIndent = (m[1] ?? "").length;
        hit = true;
        break;
      }
    }
    if (!hit) return found;
  }
  return found;
}

function lastMatch(re: RegExp, text: string): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  const global = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
  for (let m = global.exec(text); m; m = global.exec(text)) last = m;
  return last;
}

export function locateError(text: string, message: string, details: string | null): LineError | null {
  const detail = details ?? "";
  const combined = detail ? `${message}: ${detail}` : message;
  // ruamel names the start of the enclosing block first and the offending spot last.
  const lineCol = lastMatch(/line (\d+),? column (\d+)/i, detail);
  if (lineCol) {
    return { line: lineAt(text, Number(lineCol[1])), column: Number(lineCol[2]), message: combined };
  }
  const lineOnly = lastMatch(/line (\d+)/i, detail);
  if (lineOnly) return { line: lineAt(text, Number(lineOnly[1])), column: null, message: combined };
  const path = /\b(services(?:\.[A-Za-z0-9_-]+)+)/.exec(detail);
  if (path?.[1]) {
    const parts = path[1].split(".");
    const property = /additional property ["']?([A-Za-z0-9_-]+)["']? is not allowed/i.exec(detail);
    if (property?.[1]) parts.push(property[1]);
    const line = lineOfPath(text, parts);
    if (line !== null) return { line, column: null, message: combined };
  }
  // "Invalid containerPort: abc": the offending value, when it appears on exactly one line.
  const value = /:\s*([^\s:]+)\s*$/.exec(detail)?.[1];
  if (value && value.length > 1) {
    const rows = text.split("\n");
    const hits = rows.flatMap((row, i) => (row.includes(value) ? [i + 1] : []));
    if (hits.length === 1 && hits[0] !== undefined) return { line: hits[0], column: null, message: combined };
  }
  return null;
}

/** "services.web.ports[1]" (the `field` of a runtime failure) → ["services", "web", "ports", "1"]. */
export function fieldPath(field: string): string[] {
  return field.replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
}

/** The line a runtime failure's `field` points at, to mark it in the editor. */
export function locateField(text: string, field: string | null, message: string): LineError | null {
  if (!field) return null;
  const line = lineOfPath(text, fieldPath(field));
  return line === null ? null : { line, column: null, message };
}
