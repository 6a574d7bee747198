import { describe, expect, it } from "vitest";

import type { Service } from "@/lib/api/types";
import { layerFraction, summarize, type ProgressEvent } from "@/lib/live/progress";
import { SseParser } from "@/lib/live/sse";
import { applyContainerEvent, type ContainerEvent } from "@/lib/live/state";
import { appendTotals, EMPTY_HISTORY, formatBytes, formatPercent, formatRate, pushHistory, type StatsSample } from "@/lib/live/stats";
import { closeReason, parseControl, resizeMessage, subprotocols, terminalUrl } from "@/lib/live/terminal";
import { appendLines, localToUtc, type LogLine } from "@/lib/logs";

describe("SseParser", () => {
  it("parses events split anywhere across chunks, with CRLF, comments and multi-line data", () => {
    const p = new SseParser();
    const text = "retry: 2000\r\n\r\n: keepalive\r\nevent: lines\r\nid: a:1:1\r\ndata: {\"x\":\r\ndata: 1}\r\n\r\nevent: end\ndata: {}\n\n";
    const events = [];
    for (let i = 0; i < text.length; i += 3) events.push(...p.push(text.slice(i, i + 3)));
    expect(events).toEqual([
      { event: "lines", data: "{\"x\":\n1}", id: "a:1:1" },
      { event: "end", data: "{}", id: "a:1:1" }, // an event without id keeps the last one
    ]);
    expect(p.retry).toBe(2000);
    expect(p.lastId).toBe("a:1:1");
  });

  it("defaults the event name, ignores unknown fields, and reset() keeps only the last id", () => {
    const p = new SseParser();
    expect(p.push("foo: bar\ndata: one\nid: 7\n\n")).toEqual([{ event: "message", data: "one", id: "7" }]);
    p.push("data: half");
    p.reset();
    expect(p.push("\n\ndata: two\n\n")).toEqual([{ event: "message", data: "two", id: "7" }]);
  });
});

describe("log lines", () => {
  const line = (n: number): LogLine => ({ container: "c", service: "s", timestamp: `t${n}`, message: `m${n}` });
  it("appends live lines, restarts on a backlog, keeps at most max", () => {
    const shown = appendLines([], [line(1), line(2)], true);
    expect(appendLines(shown, [line(3)], false).map((l) => l.message)).toEqual(["m1", "m2", "m3"]);
    expect(appendLines(shown, [line(9)], true).map((l) => l.message)).toEqual(["m9"]);
    expect(appendLines(shown, [line(3), line(4)], false, 3).map((l) => l.message)).toEqual(["m2", "m3", "m4"]);
  });
  it("turns a datetime-local value into UTC, and nothing into nothing", () => {
    expect(localToUtc("")).toBeUndefined();
    expect(localToUtc("not a date")).toBeUndefined();
    expect(localToUtc("2026-12-01T10:00:00")).toBe(new Date("2026-12-01T10:00:00").toISOString());
  });
});

describe("progress summary", () => {
  const ev = (e: Partial<ProgressEvent>): ProgressEvent => ({ seq: 0, t: 0, kind: "step", ...e });
  it("keeps each container's latest status and its history, layers, the gate and compose's own output", () => {
    const s = summarize([
      ev({ kind: "accepted" }),
      ev({ kind: "step", message: "docker compose up" }),
      ev({ kind: "compose", object: "container", name: "web-1", status: "Recreate" }),
      ev({ kind: "compose", object: "container", name: "web-1", status: "Started" }),
      ev({ kind: "layer", id: "aaa", status: "Downloading", current: 50, total: 100 }),
      ev({ kind: "layer", id: "bbb", status: "Downloading", current: 0, total: 300 }),
      ev({ kind: "layer", id: "aaa", status: "Pull complete" }),
      ev({ kind: "output", line: "Error response from daemon: boom" }),
      ev({ kind: "gate", status: "waiting", elapsed: 2.2, waiting: ["web-1 (no healthcheck)"] }),
    ]);
    expect(s.steps).toEqual(["docker compose up"]);
    expect(s.objects).toEqual([{ key: "container:web-1", object: "container", name: "web-1", status: "Started",
      history: ["Recreate", "Started"] }]);
    expect(s.layers.map((l) => [l.id, l.status, l.current, l.total])).toEqual([["aaa", "Pull complete", 100, 100],
      ["bbb", "Downloading", 0, 300]]);
    expect(layerFraction(s.layers)).toBe(0.25);
    expect(s.gate).toEqual({ status: "waiting", detail: "waiting 2s: web-1 (no healthcheck)" });
    expect(s.output).toEqual(["Error response from daemon: boom"]);
    expect(s.last).toBe("health gate: waiting 2s: web-1 (no healthcheck)");
    expect(layerFraction([])).toBeNull();
  });
  it("says why the gate failed", () => {
    expect(summarize([ev({ kind: "gate", status: "failed", reason: "web-1 stopped (exit code 1)" })]).gate)
      .toEqual({ status: "failed", detail: "web-1 stopped (exit code 1)" });
  });
});

describe("pushed state", () => {
  const svc = (id: string): Service => ({ id, name: id, host: "local", host_state: "connected", managed: true,
    status: "running", containers: [], update_available: false, warnings: [] });
  it("replaces one service's status and containers; unknown services leave the list alone", () => {
    const container = { id: "c1", name: "a-1", service: "a", image: "i", image_id: null, state: "exited",
      status: "Exited (137)", health: null, ports: [] };
    const ev: ContainerEvent = { host: "local", project: "b", service_id: "b", action: "die", exit_code: 137, container,
      container_id: "c1", service_status: "stopped", containers: [container] };
    const next = applyContainerEvent([svc("a"), svc("b")], ev)!;
    expect(next[1]!.status).toBe("stopped");
    expect(next[1]!.containers[0]!.state).toBe("exited");
    expect(next[0]).toEqual(svc("a"));
    expect(applyContainerEvent([svc("a")], ev)).toBeNull();
  });
});

describe("stats formatting", () => {
  it("formats bytes, rates and percentages", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(300 * 1024 * 1024)).toBe("300 MiB");
    expect(formatBytes(undefined)).toBe("—");
    expect(formatRate(2048)).toBe("2.0 KiB/s");
    expect(formatPercent(3.14159)).toBe("3.1%");
    expect(formatPercent(42.6)).toBe("43%");
  });
  it("keeps a bounded history", () => {
    let h: number[] = [];
    for (let i = 0; i < 70; i++) h = pushHistory(h, i, 60);
    expect(h.length).toBe(60);
    expect(h[0]).toBe(10);
    expect(h[59]).toBe(69);
  });
  it("charts network and disk as both directions added up", () => {
    const sample = (n: number): StatsSample => ({ cpu_percent: n, memory_bytes: n * 1024, memory_limit: 0,
      net_rx_bytes: 0, net_tx_bytes: 0, net_rx_rate: n, net_tx_rate: 2 * n, blk_read_bytes: 0, blk_write_bytes: 0,
      blk_read_rate: 10 * n, blk_write_rate: 0, pids: 1 });
    let h = EMPTY_HISTORY;
    for (let i = 1; i <= 65; i++) h = appendTotals(h, sample(i));
    expect(h.cpu.length).toBe(60);
    expect([h.cpu[59], h.memory[59], h.net[59], h.disk[59]]).toEqual([65, 65 * 1024, 195, 650]);
    expect(EMPTY_HISTORY.cpu).toEqual([]);  // never mutated
  });
});

describe("terminal protocol", () => {
  it("puts the token in a subprotocol, never in the URL", () => {
    const url = terminalUrl("https://dash.example", "svc_1", "web-1", "bash", 100, 30);
    expect(url).toBe("wss://dash.example/api/services/svc_1/containers/web-1/terminal?shell=bash&cols=100&rows=30");
    expect(terminalUrl("http://127.0.0.1:8000", "a b", "c", "sh", 80, 24)).toMatch(/^ws:\/\/127\.0\.0\.1:8000\/api\/services\/a%20b\//);
    expect(subprotocols("abc.def")).toEqual(["sdmd.terminal.v1", "bearer.abc.def"]);
  });
  it("parses control messages and explains closes", () => {
    expect(parseControl('{"type":"exit","code":3,"reason":"the shell exited"}')).toEqual({ type: "exit", code: 3, reason: "the shell exited" });
    expect(parseControl("not json")).toBeNull();
    expect(parseControl('{"type":"other"}')).toBeNull();
    expect(resizeMessage(120, 40)).toBe('{"type":"resize","cols":120,"rows":40}');
    expect(closeReason(1006, "")).toMatch(/refused or lost/);
    expect(closeReason(4403, "origin not allowed")).toBe("origin not allowed");
  });
});
