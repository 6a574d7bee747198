"use client";

import { FileSearch, Pause, Play, RotateCw, Square, SquareTerminal } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { rawJson } from "@/lib/api/client";
import type { ContainerRead, Service } from "@/lib/api/types";
import { useLiveAction, type ContainerAction } from "@/lib/queries/services";
import { asApiError } from "@/lib/api/errors";
import { toast } from "@/lib/toast";

/** The buttons of one container's row: start or stop, pause or unpause, restart, inspect, terminal. */
export function ContainerActions({ service, container, onTerminal }: {
  service: Service; container: ContainerRead; onTerminal?: (name: string) => void;
}) {
  const action = useLiveAction();
  const [inspect, setInspect] = useState(false);
  const state = container.state ?? "";
  const run = async (a: ContainerAction) => {
    try {
      await action.mutateAsync({ service, action: a, container: container.name });
    } catch (exc) {
      toast(`Could not ${a} ${container.name}`, { variant: "error", description: asApiError(exc).message });
    }
  };
  const busy = action.isPending;
  const buttons: { a: ContainerAction; label: string; icon: typeof Play; show: boolean }[] = [
    { a: "start", label: "Start", icon: Play, show: state === "exited" || state === "created" },
    { a: "stop", label: "Stop", icon: Square, show: state === "running" || state === "restarting" },
    { a: "pause", label: "Pause", icon: Pause, show: state === "running" },
    { a: "unpause", label: "Unpause", icon: Play, show: state === "paused" },
    { a: "restart", label: "Restart", icon: RotateCw, show: state !== "paused" },
  ];
  return (
    <div className="flex flex-wrap gap-1" data-testid="container-actions" data-container={container.name}>
      {service.managed ? buttons.filter((b) => b.show).map(({ a, label, icon: Icon }) => (
        <Button key={a} variant="ghost" size="sm" disabled={busy} onClick={() => run(a)} data-testid={`container-${a}`}
          aria-label={`${label} ${container.name}`} title={`${label} ${container.name}`}>
          <Icon aria-hidden /> <span className="sr-only xl:not-sr-only">{label}</span>
        </Button>
      )) : null}
      {service.managed && state === "running" && onTerminal ? (
        <Button variant="ghost" size="sm" onClick={() => onTerminal(container.name)} data-testid="container-terminal"
          aria-label={`Open a terminal in ${container.name}`} title="Terminal">
          <SquareTerminal aria-hidden /> <span className="sr-only xl:not-sr-only">Terminal</span>
        </Button>
      ) : null}
      <Button variant="ghost" size="sm" onClick={() => setInspect(true)} data-testid="container-inspect"
        aria-label={`Inspect ${container.name}`} title="Inspect">
        <FileSearch aria-hidden /> <span className="sr-only xl:not-sr-only">Inspect</span>
      </Button>
      {inspect ? <InspectDialog service={service} container={container.name} onClose={() => setInspect(false)} /> : null}
    </div>
  );
}

function InspectDialog({ service, container, onClose }: { service: Service; container: string; onClose: () => void }) {
  const [info, setInfo] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    rawJson(`/api/services/${encodeURIComponent(service.id)}/containers/${encodeURIComponent(container)}`)
      .then(setInfo, setError);
  }, [service.id, container]);
  return (
    <Dialog open onOpenChange={(open) => { if (!open) onClose(); }}>
      <DialogContent className="max-w-3xl">
        <DialogHeader>
          <DialogTitle>{container}</DialogTitle>
          <p className="text-xs text-muted-foreground">docker inspect, read-only; environment values are masked.</p>
        </DialogHeader>
        {error ? <ErrorPanel error={error} /> : (
          <pre className="max-h-[65vh] overflow-auto rounded bg-muted/60 p-2 font-mono text-xs" data-testid="inspect-json">
            {info ? JSON.stringify(info, null, 2) : "Loading…"}
          </pre>
        )}
      </DialogContent>
    </Dialog>
  );
}
