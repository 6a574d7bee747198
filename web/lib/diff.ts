// One file's part of a unified diff as lines to render: hunk headers, additions, deletions, context,
// each with its old and new line numbers.

export type DiffLineKind = "hunk" | "add" | "del" | "context" | "meta";

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

const HUNK_RE = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function parsePatch(patch: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const text of patch.replace(/\n$/, "").split("\n")) {
    const hunk = HUNK_RE.exec(text);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      lines.push({ kind: "hunk", text, oldLine: null, newLine: null });
    } else if (!inHunk) {
      // diff --git, index, ---/+++ and mode lines: the file list already says what they say.
      if (/^(new|deleted) file mode|^rename |^similarity |^Binary files/.test(text)) {
        lines.push({ kind: "meta", text, oldLine: null, newLine: null });
      }
    } else if (text.startsWith("+")) {
      lines.push({ kind: "add", text: text.slice(1), oldLine: null, newLine: newLine++ });
    } else if (text.startsWith("-")) {
      lines.push({ kind: "del", text: text.slice(1), oldLine: oldLine++, newLine: null });
    } else if (text.startsWith("\\")) {
      lines.push({ kind: "meta", text, oldLine: null, newLine: null });
    } else {
      lines.push({ kind: "context", text: text.slice(1), oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return lines;
}

/** For a .env diff shown with its values hidden: `KEY=secret` becomes `KEY=••••••••`. */
export function maskEnvLine(text: string): string {
  const match = /^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=).*$/.exec(text);
  return match ? `${match[1]}••••••••` : text.trim().startsWith("#") || !text.trim() ? text : "••••••••";
}

export function isEnvPath(path: string): boolean {
  const name = path.split("/").pop() ?? "";
  return name === ".env" || name.endsWith(".env");
}

/** Added and removed lines of a unified diff (its ---/+++ header lines are not changes). */
export function diffStats(patch: string): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const line of parsePatch(patch)) {
    if (line.kind === "add") additions++;
    else if (line.kind === "del") deletions++;
  }
  return { additions, deletions };
}
