import Link from "next/link";

import { HostStateBadge } from "@/components/hosts/host-state";
import { StatusBadge } from "@/components/status";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import type { HealthStatus } from "@/lib/api/types";
import { relativeTime } from "@/lib/format";

/** Several hosts: each one's state, then its services; a host that is down says why, its services `unknown`. */
export function HostGroups({ health }: { health: HealthStatus }) {
  const hosts = health.hosts ?? [];
  const known = new Set(hosts.map((h) => h.name));
  // Services whose file names a host that is gone (orphaned by a forced removal) get a group too.
  const gone = [...new Set(health.services.map((s) => s.host || "local").filter((h) => !known.has(h)))]
    .map((name) => ({ name, state: "missing", since: null, error: "no such host is configured" }));
  return (
    <section aria-labelledby="by-host" className="space-y-2">
      <h2 id="by-host" className="text-lg font-semibold">By host</h2>
      <div className="grid gap-3 md:grid-cols-2">
        {[...hosts, ...gone].map((h) => {
          const services = health.services.filter((s) => (s.host || "local") === h.name);
          const containers = health.containers.filter((c) => c.host === h.name);
          const running = containers.filter((c) => c.state === "running").length;
          return (
            <Card key={h.name} data-testid="health-host" data-host={h.name} data-state={h.state}
              className={h.state === "connected" ? undefined : "border-destructive/50"}>
              <CardHeader>
                <CardTitle className="flex flex-wrap items-center gap-2">
                  {h.name} <HostStateBadge state={h.state} error={h.error} />
                </CardTitle>
                {h.state !== "connected" ? (
                  <p className="break-words text-xs text-destructive" data-testid="health-host-error">
                    {h.error ?? "not connected"}{h.since ? ` (since ${relativeTime(h.since)})` : ""}. Its services show as unknown
                    until it is back.
                  </p>
                ) : (
                  <p className="text-xs text-muted-foreground">{running} of {containers.length} container{containers.length === 1 ? "" : "s"} running</p>
                )}
              </CardHeader>
              <CardContent>
                {services.length ? (
                  <ul className="space-y-1 text-sm">
                    {services.map((s) => (
                      <li key={s.id} className="flex items-center justify-between gap-2" data-testid="health-service" data-name={s.name} data-status={s.status}>
                        <Link href={`/service/?id=${encodeURIComponent(s.id)}`} className="truncate text-primary hover:underline">{s.name}</Link>
                        <StatusBadge status={s.status} />
                      </li>
                    ))}
                  </ul>
                ) : <p className="text-sm text-muted-foreground">No services.</p>}
              </CardContent>
            </Card>
          );
        })}
      </div>
    </section>
  );
}
