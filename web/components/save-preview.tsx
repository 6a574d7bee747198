"use client";

import { TriangleAlert } from "lucide-react";

import { DiffView } from "@/components/diff-view";
import { Button } from "@/components/ui/button";
import {
  Dialog, DialogClose, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle,
} from "@/components/ui/dialog";
import type { DryRun } from "@/lib/api/types";
import { diffStats } from "@/lib/diff";

/**
 * The confirmation step before a compose file is written (issue 17): the unified diff a dry run answered
 * and compose's warnings. Confirming saves exactly the text shown (the caller sends `preview.compose`
 * with If-Match set to the version the diff was made against).
 */
export function SavePreviewDialog({ preview, onClose, title, description, confirmLabel, onConfirm }: {
  preview: DryRun | null;
  onClose: () => void;
  title: string;
  description: React.ReactNode;
  confirmLabel: string;
  onConfirm: (preview: DryRun) => void;
}) {
  const stats = preview ? diffStats(preview.diff) : null;
  return (
    <Dialog open={!!preview} onOpenChange={(open) => { if (!open) onClose(); }}>
      <DialogContent className="max-w-3xl" data-testid="save-preview"
        onOpenAutoFocus={(e) => {
          // Straight to the confirm button: Enter saves what is shown, Escape goes back to editing.
          e.preventDefault();
          const confirm = document.querySelector<HTMLButtonElement>("[data-testid=save-preview] [data-testid=preview-confirm]");
          (confirm && !confirm.disabled ? confirm : document.querySelector<HTMLElement>("[data-testid=save-preview] [data-testid=preview-cancel]"))?.focus();
        }}>
        <DialogHeader>
          <DialogTitle>{title}</DialogTitle>
          <DialogDescription asChild><div className="space-y-1">{description}</div></DialogDescription>
        </DialogHeader>
        {preview ? (
          <div className="min-w-0 space-y-3">
            {preview.warnings.length ? (
              <ul role="status" data-testid="preview-warnings" className="space-y-1 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm">
                {preview.warnings.map((w) => (
                  <li key={w} className="flex gap-2"><TriangleAlert className="mt-0.5 h-4 w-4 shrink-0" aria-hidden /> {w}</li>
                ))}
              </ul>
            ) : null}
            {preview.changed ? (
              <div className="overflow-hidden rounded-md border">
                <p className="flex flex-wrap items-center gap-2 border-b bg-muted/50 px-3 py-1.5 text-xs" data-testid="preview-stats">
                  <span className="font-mono font-medium">{preview.name}/compose.yaml</span>
                  <span className="text-success">+{stats?.additions}</span>
                  <span className="text-destructive">−{stats?.deletions}</span>
                </p>
                <DiffView patch={preview.diff} label={`Changes to ${preview.name}/compose.yaml`} />
              </div>
            ) : (
              <p className="rounded-md border border-info/50 bg-info/5 p-3 text-sm" data-testid="preview-unchanged">
                The file on the server already says exactly this: there is nothing to save.
              </p>
            )}
          </div>
        ) : null}
        <DialogFooter>
          <DialogClose asChild><Button variant="outline" data-testid="preview-cancel">Back to editing</Button></DialogClose>
          <Button onClick={() => preview && onConfirm(preview)} disabled={!preview?.changed} data-testid="preview-confirm">
            {confirmLabel}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
