"use client";

import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { asApiError } from "@/lib/api/errors";
import { isMissingEndpoint } from "@/lib/api/missing";
import type { Service } from "@/lib/api/types";
import { useAdoptProject, useRestartService, useUpdateService } from "@/lib/queries/services";
import { outcomeSentence } from "@/lib/run-outcome";
import { toast } from "@/lib/toast";

export type QuickAction = "restart" | "update" | "adopt";

export interface PendingAction {
  action: QuickAction;
  service: Service;
}

const TEXT: Record<QuickAction, { title: string; label: string; body: (name: string) => string }> = {
  restart: {
    title: "Restart service?",
    label: "Restart",
    body: (n) => `Every container of ${n} restarts; it is briefly unavailable.`,
  },
  update: {
    title: "Update now?",
    label: "Update now",
    body: (n) => `sdmd pulls newer images for ${n} and recreates the containers that changed, rolling back if they fail their health check.`,
  },
  adopt: {
    title: "Adopt this compose project?",
    label: "Adopt",
    body: (n) => `sdmd takes over ${n}: its compose file moves under sdmd's stacks folder and it becomes a managed service.`,
  },
};

/** One confirmation dialog shared by every row (a list of 100 services mounts one, not 100). */
export function QuickActionDialog({ pending, onClose }: { pending: PendingAction | null; onClose: () => void }) {
  const restart = useRestartService();
  const update = useUpdateService();
  const adopt = useAdoptProject();
  const [error, setError] = useState<unknown>(null);
  const busy = restart.isPending || update.isPending || adopt.isPending;

  if (!pending) return null;
  const { action, service } = pending;
  const text = TEXT[action];

  const run = async () => {
    setError(null);
    try {
      if (action === "restart") await restart.mutateAsync(service.id);
      let description = "done";
      if (action === "update") {
        const job = await update.mutateAsync({ id: service.id, mode: "update" });
        description = job.run ? outcomeSentence(job.run.result, job.run.reason) : "still running in the background";
      } else if (action === "adopt") await adopt.mutateAsync(service.name);
      toast(`${text.label}: ${service.name}`, { variant: "success", description });
      onClose();
    } catch (exc) {
      if (isMissingEndpoint(exc)) {
        toast(`${text.label} is not available on this server yet`, { variant: "error" });
        onClose();
        return;
      }
      setError(asApiError(exc));
    }
  };

  return (
    <ConfirmDialog
      open
      onOpenChange={(open) => { if (!open) { setError(null); onClose(); } }}
      title={text.title}
      description={<p>{text.body(service.name)}</p>}
      confirmLabel={text.label}
      destructive={action === "restart"}
      onConfirm={run}
      busy={busy}
    >
      {error ? <ErrorPanel error={error} onRetry={run} clearOnReconnect /> : null}
    </ConfirmDialog>
  );
}
