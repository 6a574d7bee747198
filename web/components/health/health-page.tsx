"use client";

import { CircleCheck, TriangleAlert } from "lucide-react";
import Link from "next/link";

import { LoadProblem } from "@/components/stale-notice";
import { StateBadge } from "@/components/status";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { ContainerHealth, HealthStatus } from "@/lib/api/types";
import { useHealth } from "@/lib/queries/health";
import { cn } from "@/lib/utils";

// Problems that need a look, as opposed to containers someone stopped on purpose.
const QUIET = new Set(["stopped", "created, not started", "paused"]);
const SERVICE_TILES = [
  ["running", "running", "text-success"], ["partial", "partial", "text-warning"],
  ["stopped", "stopped", "text-destructive"], ["not_deployed", "not deployed", "text-muted-foreground"],
] as const;

function Tile({ label, value, tone, testId }: { label: string; value: number; tone?: string; testId?: string }) {
  return (
    <div className="rounded-md border p-3" data-testid={testId}>
      <div className={cn("text-2xl font-semibold tabular-nums", value ? tone : "text-muted-foreground")}>{value}</div>
      <div className="text-xs text-muted-foreground">{label}</div>
    </div>
  );
}

function Counts({ health }: { health: HealthStatus }) {
  const c = health.counts;
  const containers = Object.entries(c.containers).sort(([a], [b]) => (a === "running" ? -1 : b === "running" ? 1 : a.localeCompare(b)));
  return (
    <div className="grid gap-4 lg:grid-cols-3">
      <Card>
        <CardHeader><CardTitle>Services</CardTitle></CardHeader>
        <CardContent className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-2">
          {SERVICE_TILES.map(([key, label, tone]) => (
            <Tile key={key} label={label} value={c.services[key] ?? 0} tone={tone} testId={`count-services-${key}`} />
          ))}
        </CardContent>
      </Card>
      <Card>
        <CardHeader><CardTitle>Containers by state</CardTitle></CardHeader>
        <CardContent className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-2">
          {containers.length ? containers.map(([state, n]) => (
            <Tile key={state} label={state} value={n} tone={state === "running" ? "text-success" : state === "restarting" || state === "dead" ? "text-destructive" : "text-warning"} testId={`count-containers-${state}`} />
          )) : <p className="text-sm text-muted-foreground">No containers.</p>}
        </CardContent>
      </Card>
      <Card>
        <CardHeader><CardTitle>Health checks</CardTitle></CardHeader>
        <CardContent className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-2">
          <Tile label="healthy" value={c.health.healthy ?? 0} tone="text-success" />
          <Tile label="unhealthy" value={c.health.unhealthy ?? 0} tone="text-destructive" testId="count-health-unhealthy" />
          <Tile label="starting" value={c.health.starting ?? 0} tone="text-warning" />
          <Tile label="no health check" value={c.health.none ?? 0} />
        </CardContent>
      </Card>
    </div>
  );
}

function ContainerRows({ rows, testId }: { rows: ContainerHealth[]; testId: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid={testId}>
        <thead className="border-b text-xs text-muted-foreground">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Container</th>
            <th scope="col" className="px-3 py-2 font-medium">State</th>
            <th scope="col" className="hidden px-3 py-2 font-medium md:table-cell">Status</th>
            <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Image</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.id} className="border-b align-top last:border-b-0" data-testid="health-row" data-problem={c.problem ?? ""}>
              <td className="px-3 py-2">
                <Link href={`/service/?id=${encodeURIComponent(c.service_id)}`} className="font-medium text-primary hover:underline">
                  {c.service_name}
                </Link>
                {c.compose_service ? <span className="text-muted-foreground"> / {c.compose_service}</span> : null}
                <div className="font-mono text-xs text-muted-foreground">{c.name}</div>
              </td>
              <td className="px-3 py-2">
                <div className="flex flex-wrap gap-1">
                  {/* The state badges already say unhealthy, restarting, dead; an exit code they do not. */}
                  {c.problem?.startsWith("exited with code") ? <Badge variant="destructive">{c.problem}</Badge> : null}
                  <StateBadge state={c.state} health={c.health} />
                </div>
              </td>
              <td className="hidden px-3 py-2 text-xs text-muted-foreground md:table-cell">{c.status}</td>
              <td className="hidden break-all px-3 py-2 font-mono text-xs lg:table-cell">{c.image}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HealthPage() {
  const { data, error, refetch, isPending, dataUpdatedAt, isFetching } = useHealth();
  const troubled = data?.containers.filter((c) => c.problem && !QUIET.has(c.problem)) ?? [];
  const rest = data?.containers.filter((c) => !c.problem || QUIET.has(c.problem)) ?? [];
  return (
    <div className="space-y-4">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Health</h1>
        <p className="text-sm text-muted-foreground" aria-live="polite">
          Every service&apos;s containers, the troubled ones first.
          {dataUpdatedAt ? ` Checked ${new Date(dataUpdatedAt).toLocaleTimeString()}` : ""}{isFetching && !isPending ? " · refreshing…" : ""}
        </p>
      </div>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-48" /> : data ? (
        <>
          {troubled.length ? (
            <Card className="border-destructive/50" data-testid="health-problems">
              <CardHeader>
                <CardTitle className="flex items-center gap-2">
                  <TriangleAlert className="h-4 w-4 text-destructive" aria-hidden />
                  {troubled.length} container{troubled.length === 1 ? " needs" : "s need"} attention
                </CardTitle>
              </CardHeader>
              <ContainerRows rows={troubled} testId="troubled-containers" />
            </Card>
          ) : (
            <p role="status" className="flex items-center gap-2 rounded-md border border-success/40 bg-success/5 p-3 text-sm" data-testid="health-ok">
              <CircleCheck className="h-4 w-4 text-success" aria-hidden />
              {data.containers.length ? `Nothing needs attention: ${rest.filter((c) => c.state === "running").length} of ${data.containers.length} containers are running, none unhealthy or restarting.`
                : "No containers yet."}
            </p>
          )}
          <Counts health={data} />
          {rest.length ? (
            <Card>
              <CardHeader><CardTitle>Other containers</CardTitle></CardHeader>
              <ContainerRows rows={rest} testId="other-containers" />
            </Card>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
