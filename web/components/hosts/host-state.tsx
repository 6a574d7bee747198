import { Server } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { HOST_STATES } from "@/lib/hosts";

/** A host's live state (connected, reconnecting, unreachable; "host removed" for an orphaned service). */
export function HostStateBadge({ state, error }: { state: string; error?: string | null }) {
  const s = HOST_STATES[state] ?? { label: state, variant: "muted" as const };
  return (
    <Badge variant={s.variant} data-testid="host-state" data-state={state} title={error ?? undefined}>{s.label}</Badge>
  );
}

/** "on web1": the host a service runs on, with its state when that is not connected. */
export function HostLabel({ host, state, error }: { host: string; state?: string | null; error?: string | null }) {
  return (
    <span className="inline-flex flex-wrap items-center gap-1 text-xs text-muted-foreground" data-testid="service-host" data-host={host}>
      <Server className="h-3 w-3" aria-hidden />
      <span className="sr-only">Host:</span>
      <span className="font-medium text-foreground">{host}</span>
      {state && state !== "connected" ? <HostStateBadge state={state} error={error} /> : null}
    </span>
  );
}
