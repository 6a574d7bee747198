import { describe, expect, it } from "vitest";

import { diffStats, isEnvPath, maskEnvLine, parsePatch } from "@/lib/diff";
import { formatValue, newRowId, parseEnvFile, rowProblems, serializeEnv, type EnvEntry } from "@/lib/env-file";
import { formatBytes, relativeTime, shortSha } from "@/lib/format";

describe("env file", () => {
  const text = "# db\nexport A=1\nB = two words # note\nC=\"x\\ny \\$HOME\"\nD='lit $X'\nE=\"multi\nline\"\n\nF=\n";

  it("reads values as compose does", () => {
    const { items, problems } = parseEnvFile(text);
    expect(problems).toEqual([]);
    const entries = items.filter((i): i is EnvEntry => i.kind === "entry");
    expect(entries.map((e) => [e.key, e.value])).toEqual([
      ["A", "1"], ["B", "two words"], ["C", "x\ny $HOME"], ["D", "lit $X"], ["E", "multi\nline"], ["F", ""],
    ]);
    expect(entries[0]?.exported).toBe(true);
  });

  it("writes back unchanged files byte for byte and rewrites only edited lines", () => {
    const { items } = parseEnvFile(text);
    expect(serializeEnv(items)).toBe(text);
    const b = items.find((i) => i.kind === "entry" && i.key === "B") as EnvEntry;
    b.value = "three";
    items.push({ kind: "entry", id: newRowId(), key: "NEW", value: "pa$$ word" });
    const out = serializeEnv(items.filter((i) => !(i.kind === "entry" && i.key === "D")));
    expect(out).toBe("# db\nexport A=1\nB=three\nC=\"x\\ny \\$HOME\"\nE=\"multi\nline\"\n\nF=\nNEW='pa$$ word'\n");
    // What it wrote reads back as the values the table held.
    const again = parseEnvFile(out).items.filter((i): i is EnvEntry => i.kind === "entry");
    expect(again.find((e) => e.key === "NEW")?.value).toBe("pa$$ word");
  });

  it("quotes only what needs it, and round-trips awkward values", () => {
    for (const value of ["plain", "", "a b", "it's", "two\nlines", 'q"uote\\back$', "#hash"]) {
      const line = `K=${formatValue(value)}`;
      const [entry] = parseEnvFile(line).items as EnvEntry[];
      expect(entry?.value, line).toBe(value);
    }
    expect(formatValue("1.27-alpine")).toBe("1.27-alpine");
    expect(formatValue("a b")).toBe("'a b'");
  });

  it("names bad lines and bad rows", () => {
    const { problems } = parseEnvFile("OK=1\nSECRET\n1X=2\nQ=\"open\n");
    expect(problems).toEqual([
      "line 2: SECRET has no '=' (write SECRET= for an empty value)",
      "line 3: '1X' is not a variable name (letters, digits and _, not starting with a digit)",
      'line 4: the value of Q has no closing "',
    ]);
    const rows: EnvEntry[] = [
      { kind: "entry", id: "a", key: "A", value: "1" }, { kind: "entry", id: "b", key: "A", value: "2" },
      { kind: "entry", id: "c", key: "", value: "" }, { kind: "entry", id: "d", key: "9x", value: "" },
    ];
    expect([...rowProblems(rows).keys()]).toEqual(["b", "c", "d"]);
  });
});

describe("diff", () => {
  it("numbers lines and skips git's headers", () => {
    const patch = "diff --git a/w/compose.yaml b/w/compose.yaml\nindex 1..2 100644\n--- a/w/compose.yaml\n+++ b/w/compose.yaml\n"
      + "@@ -2,3 +2,3 @@ services:\n   app:\n-    image: app:1\n+    image: app:2\n     init: true\n";
    const lines = parsePatch(patch);
    expect(lines.map((l) => l.kind)).toEqual(["hunk", "context", "del", "add", "context"]);
    expect(lines[2]).toMatchObject({ text: "    image: app:1", oldLine: 3, newLine: null });
    expect(lines[3]).toMatchObject({ text: "    image: app:2", oldLine: null, newLine: 3 });
    expect(lines[4]).toMatchObject({ oldLine: 4, newLine: 4 });
  });

  it("counts a dry run's added and removed lines, not its ---/+++ header", () => {
    // What PUT ?dry_run=true answers: difflib's unified diff, a create's from /dev/null.
    const edit = "--- a/shop/compose.yaml\n+++ b/shop/compose.yaml\n@@ -1,3 +1,4 @@\n services:\n   web:\n"
      + "-    image: nginx:1.27.1\n+    image: nginx:1.27.3\n+    init: true\n";
    expect(diffStats(edit)).toEqual({ additions: 2, deletions: 1 });
    const create = "--- /dev/null\n+++ b/shop/compose.yaml\n@@ -0,0 +1,2 @@\n+services:\n+  web: {image: nginx}\n"
      + "\\ No newline at end of file\n";
    expect(diffStats(create)).toEqual({ additions: 2, deletions: 0 });
    expect(diffStats("")).toEqual({ additions: 0, deletions: 0 });
  });

  it("masks .env values", () => {
    expect(maskEnvLine("TOKEN=abc")).toBe("TOKEN=••••••••");
    expect(maskEnvLine("export  K = v")).toBe("export  K =••••••••");
    expect(maskEnvLine("# comment")).toBe("# comment");
    expect(maskEnvLine("line\"of a multi-line value")).toBe("••••••••");
    expect(isEnvPath(".env") && isEnvPath("prod.env") && !isEnvPath("compose.yaml")).toBe(true);
  });
});

describe("format", () => {
  it("sizes, ages and ids", () => {
    expect(formatBytes(1984187)).toBe("1.98 MB");
    expect(formatBytes(107080192)).toBe("107 MB");
    expect(formatBytes(0)).toBe("0 B");
    const now = Date.parse("2026-12-02T12:00:00Z");
    expect(relativeTime("2026-11-29T12:00:00Z", now)).toBe("3 days ago");
    expect(relativeTime("2026-12-02T11:59:40Z", now)).toBe("just now");
    expect(shortSha("sha256:af133bdfd23225a1", 12)).toBe("af133bdfd232");
  });
});
