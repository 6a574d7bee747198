import { describe, expect, it } from "vitest";

import {
  auditQuery, auditUrl, currentCursor, EMPTY_FILTERS, filtersFromParams, filtersToParams, newerPosition, normalisePage, olderPosition,
  pageNumber, positionFromParams,
} from "@/lib/audit-filters";
import { filterLines, formatStamp, highlight, linesToText, type LogLine } from "@/lib/logs";
import { portUrl, uniquePorts } from "@/lib/ports";

const LINES: LogLine[] = [
  { container: "web-1", service: "web", timestamp: "2026-11-30T17:04:05.123456789Z", message: "GET /index.html 200" },
  { container: "db-1", service: "db", timestamp: "2026-11-30T17:04:06Z", message: "ready to accept connections" },
];

describe("logs", () => {
  it("searches message and container, case-insensitively", () => {
    expect(filterLines(LINES, "get")).toHaveLength(1);
    expect(filterLines(LINES, "DB-1")).toHaveLength(1);
    expect(filterLines(LINES, "  ")).toHaveLength(2);
  });

  it("highlights every match", () => {
    expect(highlight("abcABCx", "bc")).toEqual([
      { text: "a", match: false }, { text: "bc", match: true }, { text: "A", match: false },
      { text: "BC", match: true }, { text: "x", match: false },
    ]);
  });

  it("formats nanosecond stamps in a zone, to the millisecond", () => {
    expect(formatStamp(LINES[0]!.timestamp, "UTC")).toBe("2026-11-30 17:04:05.123");
    expect(formatStamp(LINES[0]!.timestamp, "Asia/Tokyo")).toBe("2026-12-01 02:04:05.123");
    expect(formatStamp("garbage", "UTC")).toBe("garbage");
  });

  it("copies as text with or without stamps", () => {
    expect(linesToText(LINES.slice(1), false)).toBe("db-1 | ready to accept connections");
    expect(linesToText(LINES.slice(1), true)).toBe("db-1 | 2026-11-30T17:04:06Z ready to accept connections");
  });
});

describe("audit filters", () => {
  it("round-trips through the query string, leaving out defaults", () => {
    const filters = filtersFromParams(new URLSearchParams("actor=ann&action=service.create&limit=20"));
    expect(filters).toMatchObject({ actor: "ann", action: "service.create", target: "", limit: 20 });
    expect(filtersToParams(filters).toString()).toBe("actor=ann&action=service.create&limit=20");
    expect(filtersFromParams(new URLSearchParams("limit=99999")).limit).toBe(50);
  });

  it("sends local times as UTC instants with the cursor", () => {
    const q = auditQuery({ actor: "", action: "", target: "web", since: "2026-11-30T10:00", until: "", limit: 50 }, "c2");
    expect(q.target).toBe("web");
    expect(q.cursor).toBe("c2");
    expect(q.since).toBe(new Date("2026-11-30T10:00").toISOString());
    expect(q.until).toBeUndefined();
  });

  it("keeps the page and the cursors that lead to it in the URL", () => {
    const filters = filtersFromParams(new URLSearchParams("action=service.*&limit=20"));
    const page1 = positionFromParams(new URLSearchParams("action=service.*"));
    expect([pageNumber(page1), currentCursor(page1)]).toEqual([1, null]);
    const page3 = olderPosition(olderPosition(page1, "YWJj"), "ZGVm-_");
    expect(auditUrl(filters, page3)).toBe("/audit/?action=service.*&limit=20&page=3&after=YWJj%2CZGVm-_");
    const back = positionFromParams(new URLSearchParams(auditUrl(filters, page3).split("?")[1]));
    expect([pageNumber(back), currentCursor(back)]).toEqual([3, "ZGVm-_"]);
    expect(currentCursor(newerPosition(back))).toBe("YWJj");
  });

  it("keeps sdmd's own cursors, '<µs>.<id>'", () => {
    const page2 = olderPosition(positionFromParams(new URLSearchParams()), "1764700000123456.42");
    const back = positionFromParams(new URLSearchParams(auditUrl(EMPTY_FILTERS, page2).split("?")[1]));
    expect([pageNumber(back), currentCursor(back)]).toEqual([2, "1764700000123456.42"]);
  });

  it("starts again from page 1 when filters change: no stale cursor", () => {
    expect(auditUrl({ ...filtersFromParams(new URLSearchParams()), actor: "ann" })).toBe("/audit/?actor=ann");
    expect(positionFromParams(new URLSearchParams("after=bad%20cursor,ok")).cursors).toEqual(["ok"]);
  });

  it("reads the page shapes an API may use", () => {
    expect(normalisePage([{ id: 1 }])).toEqual({ items: [{ id: 1 }], nextCursor: null });
    expect(normalisePage({ items: [{ id: 1 }], next_cursor: "x" })).toEqual({ items: [{ id: 1 }], nextCursor: "x" });
    expect(normalisePage({ entries: [], next: "" })).toEqual({ items: [], nextCursor: null });
  });
});

describe("ports", () => {
  it("links to the page's host when published on all addresses, once per port", () => {
    const ports = [
      { host_ip: "0.0.0.0", host_port: 8080, container_port: 80, protocol: "tcp" },
      { host_ip: "::", host_port: 8080, container_port: 80, protocol: "tcp" },
      { host_ip: "127.0.0.1", host_port: 53, container_port: 53, protocol: "udp" },
    ];
    const unique = uniquePorts(ports);
    expect(unique.map((p) => p.host_port)).toEqual([53, 8080]);
    expect(portUrl(unique[1]!, "nas.local")).toBe("http://nas.local:8080/");
    expect(portUrl(unique[0]!, "nas.local")).toBeNull();
    expect(portUrl({ host_ip: "::1", host_port: 8443, container_port: 8443, protocol: "tcp" }, "x"))
      .toBe("https://[::1]:8443/");
  });
});
