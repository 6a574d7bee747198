"use client";

import { ArrowRightLeft } from "lucide-react";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { NativeSelect } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import type { MovePlan, Service } from "@/lib/api/types";
import { useHosts, useMoveService } from "@/lib/queries/hosts";
import { toast } from "@/lib/toast";

/**
 * "Move to host": first a dry run that names what stays behind (named volumes are data on the old host's
 * disk and start empty on the new one), then the confirmed move (down there, up on the new host).
 */
export function MoveToHost({ service }: { service: Service }) {
  const hosts = useHosts({ refetchInterval: 30_000 }).data;
  const move = useMoveService();
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [plan, setPlan] = useState<MovePlan | null>(null);
  const others = (hosts ?? []).filter((h) => h.name !== (service.host || "local"));
  if (!service.managed || !others.length) return null;

  const close = (o: boolean) => {
    setOpen(o);
    if (!o) {
      setPlan(null);
      move.reset();
    }
  };
  const check = async () => {
    const host = target || others[0]!.name;
    setTarget(host);
    try {
      setPlan((await move.mutateAsync({ id: service.id, host, dryRun: true })) as MovePlan);
    } catch {
      setPlan(null);
    }
  };
  const confirm = async () => {
    if (!plan) return;
    try {
      await move.mutateAsync({ id: service.id, host: plan.to_host, dryRun: false });
      toast(`Moved ${service.name} to ${plan.to_host}`, { variant: "success" });
      close(false);
    } catch {
      // shown in the dialog
    }
  };

  return (
    <>
      <Button variant="outline" size="sm" onClick={() => setOpen(true)} data-testid="move-host"><ArrowRightLeft aria-hidden /> Move to host</Button>
      <Dialog open={open} onOpenChange={close}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Move {service.name} to another host</DialogTitle>
            <DialogDescription>
              sdmd takes it down on {service.host || "local"}, writes the new host into its compose.yaml (one commit) and
              starts it there. If that fails, it comes back on {service.host || "local"}.
            </DialogDescription>
          </DialogHeader>
          <Field id="move-target" label="New host">
            <NativeSelect id="move-target" value={target || others[0]!.name} data-testid="move-target"
              onChange={(e) => { setTarget(e.target.value); setPlan(null); move.reset(); }}>
              {others.map((h) => <option key={h.id} value={h.name}>{h.name}{h.state !== "connected" ? ` (${h.state})` : ""}</option>)}
            </NativeSelect>
          </Field>
          {plan ? (
            <div className="space-y-2 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm" data-testid="move-plan">
              <p className="font-medium">{plan.warning}</p>
              {plan.volumes.length ? (
                <div data-testid="move-volumes">
                  <p>These named volumes stay on {plan.from_host}; the service starts with them empty on {plan.to_host}:</p>
                  <ul className="list-disc pl-5 font-mono text-xs">{plan.volumes.map((v) => <li key={v}>{v}</li>)}</ul>
                </div>
              ) : <p data-testid="move-volumes">No named volumes: no data stays behind in Docker volumes.</p>}
              {plan.bind_mounts.length ? (
                <div>
                  <p>Bind-mounted paths become paths on {plan.to_host}:</p>
                  <ul className="list-disc pl-5 font-mono text-xs">{plan.bind_mounts.map((b) => <li key={b}>{b}</li>)}</ul>
                </div>
              ) : null}
            </div>
          ) : null}
          {move.error ? <ErrorPanel error={move.error} clearOnReconnect /> : null}
          <DialogFooter>
            <Button variant="outline" onClick={() => close(false)}>Cancel</Button>
            {plan ? (
              <Button variant="destructive" onClick={() => void confirm()} disabled={move.isPending} data-testid="move-confirm">
                {move.isPending ? "Moving…" : `Move to ${plan.to_host}`}
              </Button>
            ) : (
              <Button onClick={() => void check()} disabled={move.isPending} data-testid="move-check">
                {move.isPending ? "Checking…" : "Check what stays behind"}
              </Button>
            )}
          </DialogFooter>
        </DialogContent>
      </Dialog>
    </>
  );
}
