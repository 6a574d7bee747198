"use client";

import { ChevronRight } from "lucide-react";
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import type { AuditEntry } from "@/lib/api/types";

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function AuditTable({ entries, showTarget = true }: { entries: AuditEntry[]; showTarget?: boolean }) {
  if (!entries.length) return <p className="p-4 text-sm text-muted-foreground">No entries.</p>;
  return (
    <ul className="divide-y" data-testid="audit-entries">
      {entries.map((e) => {
        const hasDetails = e.details && Object.keys(e.details).length > 0;
        return (
          <li key={e.id} className="grid gap-1 px-3 py-2.5 text-sm sm:grid-cols-[11rem_minmax(0,1fr)] sm:gap-3" data-testid="audit-entry" data-action={e.action} data-id={e.id}>
            <time dateTime={e.created_at} className="text-xs text-muted-foreground sm:pt-0.5">{when(e.created_at)}</time>
            <div className="min-w-0 space-y-1">
              <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
                <span className="font-mono text-xs font-medium">{e.action}</span>
                <Badge variant={e.outcome === "ok" ? "success" : e.outcome === "error" ? "destructive" : "muted"}>{e.outcome}</Badge>
                {showTarget && (e.target_name || e.target_id) ? (
                  e.target_id?.startsWith("svc") ? (
                    <Link href={`/service/?id=${encodeURIComponent(e.target_id)}`} className="text-primary hover:underline">{e.target_name ?? e.target_id}</Link>
                  ) : <span>{e.target_name ?? e.target_id}</span>
                ) : null}
                <span className="text-xs text-muted-foreground">
                  by {e.actor_email ?? e.actor_id ?? "unknown"}{e.client_addr ? ` from ${e.client_addr}` : ""}
                </span>
              </div>
              {hasDetails ? (
                <Collapsible>
                  <CollapsibleTrigger className="group inline-flex items-center gap-1 text-xs text-muted-foreground hover:text-foreground cursor-pointer">
                    <ChevronRight className="h-3 w-3 transition-transform group-data-[state=open]:rotate-90" aria-hidden />
                    details
                  </CollapsibleTrigger>
                  <CollapsibleContent>
                    <pre className="mt-1 max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-muted p-2 font-mono text-xs">
                      {JSON.stringify(e.details, null, 2)}
                    </pre>
                  </CollapsibleContent>
                </Collapsible>
              ) : null}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
