"use client";

import { Fragment } from "react";

import { Sparkline } from "@/components/live/sparkline";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import type { Service } from "@/lib/api/types";
import {
  formatBytes, formatPercent, formatRate, HISTORY_SIZE, useStats, type ContainerStats, type StatsSample,
} from "@/lib/live/stats";

interface Metric {
  key: string;
  label: string;
  now: string;
  detail?: string;
  values: number[];
  peak: string;
  /** the chart's smallest top: idle noise stays flat */
  min: number;
}

function MetricChart({ m }: { m: Metric }) {
  return (
    <div data-testid={`stats-${m.key}-block`} className="min-w-0">
      <p className="flex items-baseline justify-between gap-2 text-xs text-muted-foreground">
        <span className="truncate">
          {m.label} <span className="font-medium text-foreground" data-testid={`stats-${m.key}`}>{m.now}</span>
        </span>
        <span className="shrink-0" title="highest in the last minute">peak {m.peak}</span>
      </p>
      <p className="h-4 truncate text-[11px] text-muted-foreground">{m.detail ?? ""}</p>
      <Sparkline values={m.values} slots={HISTORY_SIZE} min={m.min} label={`${m.label} over the last minute`}
        testId={`stats-${m.key}-chart`} />
    </div>
  );
}

function Row({ r, group }: { r: StatsSample & { name: string }; group?: boolean }) {
  return (
    <>
      <td className="py-1 pr-3">{formatPercent(r.cpu_percent)}</td>
      <td className="py-1 pr-3">{formatBytes(r.memory_bytes)}{!group && r.memory_limit ? ` / ${formatBytes(r.memory_limit)}` : ""}</td>
      <td className="hidden py-1 pr-3 sm:table-cell">{formatRate(r.net_rx_rate)} / {formatRate(r.net_tx_rate)}</td>
      <td className="hidden py-1 pr-3 md:table-cell">{formatRate(r.blk_read_rate)} / {formatRate(r.blk_write_rate)}</td>
    </>
  );
}

/** Live CPU, memory, network and disk of a service: its totals over the last minute, then every
 * container now (with a total per compose service that runs more than one). The stream is open only
 * while this panel is on screen and the tab is visible. */
export function StatsPanel({ service }: { service: Service }) {
  const running = service.containers.some((c) => c.state === "running");
  const { latest, history, live } = useStats(
    running ? `/api/services/${encodeURIComponent(service.id)}/stats` : null, service.id);
  if (!running) return null;
  const total = latest?.by_service[service.id];
  const peak = (values: number[]) => (values.length ? Math.max(...values) : undefined);
  const metrics: Metric[] = [
    { key: "cpu", label: "CPU", now: formatPercent(total?.cpu_percent), values: history.cpu,
      peak: formatPercent(peak(history.cpu)), min: 5 },
    { key: "memory", label: "Memory", now: formatBytes(total?.memory_bytes),
      detail: total ? `${total.containers ?? 0} running container${total.containers === 1 ? "" : "s"}` : undefined,
      values: history.memory,
      peak: formatBytes(peak(history.memory)), min: 1024 * 1024 },
    { key: "net", label: "Network", now: formatRate(total ? total.net_rx_rate + total.net_tx_rate : undefined),
      detail: total ? `in ${formatRate(total.net_rx_rate)} · out ${formatRate(total.net_tx_rate)}` : undefined,
      values: history.net, peak: formatRate(peak(history.net)), min: 1024 },
    { key: "disk", label: "Disk", now: formatRate(total ? total.blk_read_rate + total.blk_write_rate : undefined),
      detail: total ? `read ${formatRate(total.blk_read_rate)} · write ${formatRate(total.blk_write_rate)}` : undefined,
      values: history.disk, peak: formatRate(peak(history.disk)), min: 1024 },
  ];
  const groups = new Map<string, ContainerStats[]>();
  for (const r of latest?.containers ?? []) {
    const key = r.service ?? r.name;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return (
    <Card data-testid="stats" data-live={live}>
      <CardHeader className="pb-2">
        <CardTitle className="flex items-center gap-2 text-base">
          Resources
          <span className={live ? "text-xs font-normal text-success" : "text-xs font-normal text-muted-foreground"}>
            {live ? "● live" : "connecting…"}
          </span>
        </CardTitle>
      </CardHeader>
      <CardContent className="space-y-4">
        <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
          {metrics.map((m) => <MetricChart key={m.key} m={m} />)}
        </div>
        {groups.size ? (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-xs" data-testid="stats-table">
              <caption className="sr-only">Resources per container</caption>
              <thead className="text-muted-foreground">
                <tr>
                  <th scope="col" className="py-1 pr-3 font-medium">Container</th>
                  <th scope="col" className="py-1 pr-3 font-medium">CPU</th>
                  <th scope="col" className="py-1 pr-3 font-medium">Memory</th>
                  <th scope="col" className="hidden py-1 pr-3 font-medium sm:table-cell">Net in / out</th>
                  <th scope="col" className="hidden py-1 pr-3 font-medium md:table-cell">Disk read / write</th>
                </tr>
              </thead>
              <tbody>
                {[...groups.entries()].map(([name, rows]) => {
                  const sum = latest?.compose_services?.[name];
                  return (
                    <Fragment key={name}>
                      {rows.length > 1 && sum ? (
                        <tr className="border-t font-medium" data-testid="stats-group" data-name={name}>
                          <td className="py-1 pr-3">{name} <span className="font-normal text-muted-foreground">({rows.length} containers)</span></td>
                          <Row r={{ ...sum, name }} group />
                        </tr>
                      ) : null}
                      {rows.map((r) => (
                        <tr key={r.id} className="border-t" data-testid="stats-row" data-name={r.name}>
                          <td className="py-1 pr-3 font-mono">{r.name}</td>
                          <Row r={r} />
                        </tr>
                      ))}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}
