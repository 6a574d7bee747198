import { CircleAlert, CircleCheck, CircleDashed, CircleDot, CircleHelp, CircleStop, GitCompare, ArrowUpCircle } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import type { Service } from "@/lib/api/types";
import { driftState, gitopsState } from "@/lib/service-state";

export { driftState, gitopsState };

const STATUS = {
  running: { label: "running", variant: "success", Icon: CircleCheck },
  partial: { label: "partial", variant: "warning", Icon: CircleDot },
  stopped: { label: "stopped", variant: "destructive", Icon: CircleStop },
  not_deployed: { label: "not deployed", variant: "muted", Icon: CircleDashed },
  // its host is not connected (or was removed): sdmd cannot say
  unknown: { label: "unknown", variant: "muted", Icon: CircleHelp },
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
