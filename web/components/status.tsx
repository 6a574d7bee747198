import { CircleAlert, CircleCheck, CircleDashed, CircleDot, CircleStop, GitCompare, ArrowUpCircle } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import type { Service } from "@/lib/api/types";

const STATUS = {
  running: { label: "running", variant: "success", Icon: CircleCheck },
  partial: { label: "partial", variant: "warning", Icon: CircleDot },
  stopped: { label: "stopped", variant: "destructive", Icon: CircleStop },
  not_deployed: { label: "not deployed", variant: "muted", Icon: CircleDashed },
} as const;

export function StatusBadge({ status }: { status: string }) {
  const s = STATUS[status as keyof typeof STATUS] ?? { label: status, variant: "outline" as const, Icon: CircleAlert };
  return (
    <Badge variant={s.variant} data-testid="status-badge" data-status={status}>
      <s.Icon className="h-3 w-3" aria-hidden />
      {s.label}
    </Badge>
  );
}

const STATE_VARIANT: Record<string, "success" | "warning" | "destructive" | "muted"> = {
  running: "success",
  restarting: "warning",
  paused: "warning",
  created: "muted",
  exited: "destructive",
  dead: "destructive",
};

export function StateBadge({ state, health }: { state: string | null; health: string | null }) {
  return (
    <span className="inline-flex flex-wrap gap-1">
      <Badge variant={STATE_VARIANT[state ?? ""] ?? "muted"}>{state ?? "unknown"}</Badge>
      {health ? (
        <Badge variant={health === "healthy" ? "success" : health === "starting" ? "warning" : "destructive"}>{health}</Badge>
      ) : null}
    </span>
  );
}

/** Issue 5's drift (file vs database vs containers) as a short word, or null when in sync. */
export function driftState(service: Service): string | null {
  const d = service.drift;
  if (!d) return null;
  if (d.file && d.file !== "in_sync") return `file ${d.file}`;
  if (!d.drifted) return null;
  const kinds = [...new Set(d.items.map((i) => i.kind))];
  return kinds.length ? `drift: ${kinds.join(", ")}` : "drifted";
}

/** The GitOps reconcile state when it needs attention (pending, error, orphaned); synced says nothing. */
export function gitopsState(service: Service): string | null {
  const state = service.gitops?.state;
  return state && state !== "synced" ? state : null;
}

export function ExtraBadges({ service }: { service: Service }) {
  const drift = driftState(service);
  const git = gitopsState(service);
  return (
    <>
      {service.update_available ? (
        <Badge variant="info" data-testid="update-available"><ArrowUpCircle className="h-3 w-3" aria-hidden />update available</Badge>
      ) : null}
      {drift ? (
        <Badge variant="warning" data-testid="drift"><GitCompare className="h-3 w-3" aria-hidden />{drift.replace(/_/g, " ")}</Badge>
      ) : null}
      {git ? (
        <Badge variant={git === "error" ? "destructive" : "warning"} data-testid="gitops-state" title={service.gitops?.error ?? undefined}>
          git: {git}
        </Badge>
      ) : null}
      {!service.managed ? <Badge variant="outline">unmanaged</Badge> : null}
    </>
  );
}
