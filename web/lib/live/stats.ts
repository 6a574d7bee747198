"use client";

// Stats: live CPU, memory, network and block I/O from GET /api/services/{id}/stats (one service, per
// container and per compose service) and GET /api/stats (every service, for the list). Streams are open
// only while a page shows them and the tab is visible; the server shares one Docker stats stream per
// container among everyone watching.

import { useEffect, useState, useSyncExternalStore } from "react";

import { follow } from "@/lib/live/sse";

export interface StatsSample {
  cpu_percent: number;
  memory_bytes: number;
  memory_limit: number;
  memory_percent?: number | null;
  net_rx_bytes: number;
  net_tx_bytes: number;
  net_rx_rate: number;
  net_tx_rate: number;
  blk_read_bytes: number;
  blk_write_bytes: number;
  blk_read_rate: number;
  blk_write_rate: number;
  pids: number | null;
  containers?: number;
}

export interface ContainerStats extends StatsSample {
  id: string;
  name: string;
  service: string | null;
  project: string;
  host: string;
}

export interface StatsSnapshot {
  at: number;
  by_service: Record<string, StatsSample & { name: string; host: string }>;
  containers?: ContainerStats[];
  compose_services?: Record<string, StatsSample>;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatRate(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : `${formatBytes(n)}/s`;
}

export function formatPercent(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)}%`;
}

/** Samples kept for the charts: a minute at one sample a second. */
export const HISTORY_SIZE = 60;

/** Keeps the last `size` values (a ring for the charts). */
export function pushHistory(history: number[], value: number, size = HISTORY_SIZE): number[] {
  const next = history.length >= size ? history.slice(history.length - size + 1) : history.slice();
  next.push(value);
  return next;
}

/** A minute of one service's totals: CPU %, memory bytes, network and disk bytes per second (both ways). */
export interface StatsHistory {
  cpu: number[];
  memory: number[];
  net: number[];
  disk: number[];
}

export const EMPTY_HISTORY: StatsHistory = { cpu: [], memory: [], net: [], disk: [] };

export function appendTotals(history: StatsHistory, total: StatsSample, size = HISTORY_SIZE): StatsHistory {
  return {
    cpu: pushHistory(history.cpu, total.cpu_percent, size),
    memory: pushHistory(history.memory, total.memory_bytes, size),
    net: pushHistory(history.net, (total.net_rx_rate ?? 0) + (total.net_tx_rate ?? 0), size),
    disk: pushHistory(history.disk, (total.blk_read_rate ?? 0) + (total.blk_write_rate ?? 0), size),
  };
}

// -- visibility: a hidden tab watches nothing -------------------------------------------------------------
function subscribeVisibility(cb: () => void) {
  document.addEventListener("visibilitychange", cb);
  return () => document.removeEventListener("visibilitychange", cb);
}

export function usePageVisible(): boolean {
  return useSyncExternalStore(subscribeVisibility, () => document.visibilityState === "visible", () => true);
}

export interface StatsState {
  latest: StatsSnapshot | null;
  /** the totals of `chartKey`'s service over the last minute */
  history: StatsHistory;
  live: boolean;
}

/** Follows a stats stream while `path` is set and the tab is visible (closed otherwise, so the server
 * closes Docker's stats streams when nobody looks); keeps a minute of totals for `chartKey`. */
export function useStats(path: string | null, chartKey?: string): StatsState {
  const visible = usePageVisible();
  const [state, setState] = useState<StatsState>({ latest: null, history: EMPTY_HISTORY, live: false });
  useEffect(() => {
    if (!path || !visible) {
      setState((s) => ({ ...s, live: false }));
      return;
    }
    const handle = follow(path, {
      onStatus: (status) => setState((s) => ({ ...s, live: status === "open" })),
      onEvent: (ev) => {
        if (ev.event !== "stats") return;
        const snap = JSON.parse(ev.data) as StatsSnapshot;
        const total = chartKey ? snap.by_service[chartKey] : undefined;
        setState((s) => ({ latest: snap, live: true, history: total ? appendTotals(s.history, total) : s.history }));
      },
    });
    return () => handle.close();
  }, [path, visible, chartKey]);
  return state;
}
