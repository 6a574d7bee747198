"use client";

import { useState } from "react";

import {
  AlertDialog, AlertDialogCancel, AlertDialogContent, AlertDialogDescription, AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

/**
 * Confirmation for actions that disturb a running service. With `typeToConfirm`, the person must type
 * the service's name first (for delete).
 */
export function ConfirmDialog({
  open, onOpenChange, title, description, confirmLabel, cancelLabel = "Cancel", destructive, typeToConfirm, onConfirm,
  busy, children, onCloseAutoFocus,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description: React.ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  destructive?: boolean;
  typeToConfirm?: string;
  onConfirm: () => void;
  busy?: boolean;
  children?: React.ReactNode;
  /** Where focus goes on close when the element that opened the dialog is gone (Radix returns it otherwise). */
  onCloseAutoFocus?: (event: Event) => void;
}) {
  const [typed, setTyped] = useState("");
  const ready = !typeToConfirm || typed === typeToConfirm;
  return (
    <AlertDialog open={open} onOpenChange={(o) => { if (!o) setTyped(""); onOpenChange(o); }}>
      <AlertDialogContent onCloseAutoFocus={onCloseAutoFocus}>
        <AlertDialogTitle>{title}</AlertDialogTitle>
        <AlertDialogDescription asChild><div className="space-y-2">{description}</div></AlertDialogDescription>
        {children}
        <form
          className="space-y-4"
          onSubmit={(e) => {
            e.preventDefault();
            if (ready && !busy) onConfirm();
          }}
        >
          {typeToConfirm ? (
            <div className="space-y-1.5">
              <Label htmlFor="confirm-name">Type <span className="font-mono font-semibold">{typeToConfirm}</span> to confirm</Label>
              <Input id="confirm-name" autoComplete="off" autoFocus value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="confirm-name" />
            </div>
          ) : null}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <AlertDialogCancel asChild><Button variant="outline" data-testid="confirm-cancel">{cancelLabel}</Button></AlertDialogCancel>
            <Button type="submit" variant={destructive ? "destructive" : "default"} disabled={!ready || busy} data-testid="confirm-action">
              {busy ? "Working…" : confirmLabel}
            </Button>
          </div>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
