"use client";

import { Sparkline } from "@/components/live/sparkline";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import type { Service } from "@/lib/api/types";
import { formatBytes, formatPercent, formatRate, useStats } from "@/lib/live/stats";

/** Live CPU, memory, network and block I/O of a service: a minute of history and every container now. */
export function StatsPanel({ service }: { service: Service }) {
  const running = service.containers.some((c) => c.state === "running");
  const { latest, cpu, memory, live } = useStats(running ? `/api/services/${encodeURIComponent(service.id)}/stats` : null, service.id);
  const total = latest?.by_service[service.id];
  const rows = latest?.containers ?? [];
  if (!running) return null;
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
        <div className="grid gap-4 sm:grid-cols-2">
          <div>
            <p className="text-xs text-muted-foreground">CPU <span className="font-medium text-foreground" data-testid="stats-cpu">{formatPercent(total?.cpu_percent)}</span></p>
            <Sparkline values={cpu} label="CPU over the last minute" testId="stats-cpu-chart" />
          </div>
          <div>
            <p className="text-xs text-muted-foreground">Memory <span className="font-medium text-foreground" data-testid="stats-memory">{formatBytes(total?.memory_bytes)}</span></p>
            <Sparkline values={memory} label="Memory over the last minute" testId="stats-memory-chart" />
          </div>
        </div>
        {rows.length ? (
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
                {rows.map((r) => (
                  <tr key={r.id} className="border-t" data-testid="stats-row" data-name={r.name}>
                    <td className="py-1 pr-3 font-mono">{r.name}</td>
                    <td className="py-1 pr-3">{formatPercent(r.cpu_percent)}</td>
                    <td className="py-1 pr-3">{formatBytes(r.memory_bytes)}{r.memory_limit ? ` / ${formatBytes(r.memory_limit)}` : ""}</td>
                    <td className="hidden py-1 pr-3 sm:table-cell">{formatRate(r.net_rx_rate)} / {formatRate(r.net_tx_rate)}</td>
                    <td className="hidden py-1 pr-3 md:table-cell">{formatRate(r.blk_read_rate)} / {formatRate(r.blk_write_rate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}
