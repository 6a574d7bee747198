"use client";

import { Loader2 } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import type { PruneResult } from "@/lib/api/types";
import { formatBytes } from "@/lib/format";
import { usePrune, type PruneMode } from "@/lib/queries/images";
import { toast } from "@/lib/toast";

/**
 * Prune in two steps: a dry run lists what would go (all ticked), the person may untick some, and the
 * confirmation sends exactly the ticked ids, so nothing they did not see is removed.
 */
export function PruneDialog({ open, onOpenChange, host }: { open: boolean; onOpenChange: (open: boolean) => void; host: string }) {
  const [mode, setMode] = useState<PruneMode>("dangling");
  const [preview, setPreview] = useState<PruneResult | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const dryRun = usePrune(host);
  const confirm = usePrune(host);
  const { mutateAsync: runPreview, reset: resetPreview } = dryRun;
  const { reset: resetConfirm } = confirm;

  useEffect(() => {
    if (!open) return;
    let current = true;
    setPreview(null);
    runPreview({ mode, dry_run: true }).then((result) => {
      if (!current) return;
      setPreview(result);
      setSelected(new Set(result.images.map((i) => i.id)));
    }).catch(() => undefined); // shown from dryRun.error
    return () => { current = false; };
  }, [open, mode, runPreview]);

  const chosen = preview?.images.filter((i) => selected.has(i.id)) ?? [];
  const size = chosen.reduce((sum, i) => sum + i.size, 0);
  const toggle = (id: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id); else next.add(id);
    return next;
  });

  const run = async () => {
    try {
      const result = await confirm.mutateAsync({ mode, dry_run: false, images: chosen.map((i) => i.id) });
      toast(`Removed ${result.images.length} image${result.images.length === 1 ? "" : "s"}`, {
        variant: result.skipped.length ? "default" : "success",
        description: `Freed up to ${formatBytes(result.size)}${result.skipped.length ? ` · ${result.skipped.length} skipped: ${result.skipped[0]?.reason}` : ""}`,
      });
      onOpenChange(false);
    } catch {
      // shown in the dialog
    }
  };

  return (
    <Dialog open={open} onOpenChange={(o) => { if (!o) { resetPreview(); resetConfirm(); } onOpenChange(o); }}>
      <DialogContent className="max-w-2xl" data-testid="prune-dialog">
        <DialogHeader>
          <DialogTitle>Prune images on {host}</DialogTitle>
          <DialogDescription>
            Only images no container uses (running or stopped) and no managed compose file names. Nothing goes until you confirm.
          </DialogDescription>
        </DialogHeader>
        <fieldset className="flex flex-col gap-2 text-sm sm:flex-row sm:gap-6">
          <legend className="sr-only">What to prune</legend>
          {([["dangling", "Dangling images (no tag)"], ["unused", "All unused images"]] as const).map(([value, label]) => (
            <label key={value} className="flex items-center gap-2">
              <input type="radio" name="prune-mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
              {label}
            </label>
          ))}
        </fieldset>

        {dryRun.isPending ? (
          <p className="flex items-center gap-2 text-sm text-muted-foreground"><Loader2 className="h-4 w-4 animate-spin" aria-hidden /> Looking for what would go…</p>
        ) : dryRun.error ? <ErrorPanel error={dryRun.error} /> : preview ? (
          preview.images.length ? (
            <div className="space-y-2">
              <div className="flex items-center justify-between text-sm">
                <p data-testid="prune-summary">
                  {chosen.length} of {preview.images.length} selected · up to {formatBytes(size)}
                </p>
                <div className="flex gap-1">
                  <Button size="sm" variant="ghost" onClick={() => setSelected(new Set(preview.images.map((i) => i.id)))}>All</Button>
                  <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())} data-testid="prune-none">None</Button>
                </div>
              </div>
              <ul className="max-h-72 divide-y overflow-y-auto rounded-md border text-sm" data-testid="prune-list">
                {preview.images.map((i) => (
                  <li key={i.id}>
                    <label className="flex cursor-pointer items-center gap-3 px-3 py-1.5" data-testid="prune-item" data-id={i.id}>
                      <input type="checkbox" checked={selected.has(i.id)} onChange={() => toggle(i.id)}
                        aria-label={`Remove ${i.tags[0] ?? i.short_id}`} />
                      <span className="min-w-0 flex-1">
                        <span className="break-all font-mono text-xs">{i.tags.join(", ") || "untagged"}</span>
                        <span className="ml-2 font-mono text-xs text-muted-foreground">{i.short_id}</span>
                      </span>
                      <span className="whitespace-nowrap text-xs text-muted-foreground">{formatBytes(i.size)}</span>
                    </label>
                  </li>
                ))}
              </ul>
            </div>
          ) : <p className="rounded-md border border-dashed p-4 text-sm text-muted-foreground" data-testid="prune-empty">Nothing to prune: every image is in use or named.</p>
        ) : null}

        {confirm.error ? <ErrorPanel error={confirm.error} clearOnReconnect /> : null}
        <DialogFooter>
          <Button variant="outline" onClick={() => onOpenChange(false)}>Cancel</Button>
          <Button variant="destructive" onClick={run} disabled={!chosen.length || confirm.isPending || dryRun.isPending} data-testid="prune-confirm">
            {confirm.isPending ? "Removing…" : `Remove ${chosen.length} image${chosen.length === 1 ? "" : "s"}`}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
