import { Info } from "lucide-react";

/** Shown where a part of sdmd (schedules, audit, GitOps) is not served by this server yet. */
export function NotAvailable({ what }: { what: string }) {
  return (
    <p className="flex items-start gap-2 rounded-md border border-dashed p-4 text-sm text-muted-foreground" data-testid="not-available">
      <Info className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
      <span>{what} is not available on this server yet.</span>
    </p>
  );
}
