"use client";

import { AlertTriangle, ChevronRight, RotateCw } from "lucide-react";
import { useSyncExternalStore } from "react";

import { Button } from "@/components/ui/button";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { asApiError } from "@/lib/api/errors";
import { answeredSince, connection } from "@/lib/connection";
import { cn } from "@/lib/utils";

/**
 * An error in plain words (the API's `error`), its `details` only behind "technical details",
 * and Retry where trying again can help (network failures, timeouts, 503s). With `clearOnReconnect` (in
 * dialogs), a "sdmd does not answer" error goes away once sdmd answers again.
 */
export function ErrorPanel({
  error, onRetry, title, className, children, clearOnReconnect, autoRetry,
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
  className?: string;
  children?: React.ReactNode;
  clearOnReconnect?: boolean;
  /** the query behind it asks again by itself (lib/query-client.ts): say so */
  autoRetry?: boolean;
}) {
  const e = asApiError(error);
  const link = useSyncExternalStore(connection.subscribe, () => connection.state, () => connection.state);
  if (clearOnReconnect && answeredSince(e, link)) return null;
  const heading = title ?? (e.kind === "network" ? "No answer from the server" : e.kind === "timeout" ? "Timed out" : "Something went wrong");
  return (
    <div role="alert" data-testid="error-panel" className={cn("rounded-md border border-destructive/50 bg-destructive/5 p-3 text-sm", className)}>
      <div className="flex items-start gap-2">
        <AlertTriangle className="mt-0.5 h-4 w-4 shrink-0 text-destructive" aria-hidden />
        <div className="min-w-0 flex-1 space-y-1">
          <p className="font-medium">{heading}</p>
          <p data-testid="error-message" className="break-words first-letter:uppercase">{e.message}</p>
          {autoRetry && e.retryable ? (
            <p className="text-xs text-muted-foreground" data-testid="auto-retry">Trying again by itself every few seconds…</p>
          ) : null}
          {children}
          {e.details ? (
            <Collapsible>
              <CollapsibleTrigger className="group inline-flex items-center gap-1 text-xs text-muted-foreground hover:text-foreground cursor-pointer">
                <ChevronRight className="h-3 w-3 transition-transform group-data-[state=open]:rotate-90" aria-hidden />
                technical details
              </CollapsibleTrigger>
              <CollapsibleContent>
                <pre data-testid="error-details" className="mt-1 max-h-60 overflow-auto whitespace-pre-wrap break-words rounded bg-muted p-2 font-mono text-xs">
                  {e.status ? `HTTP ${e.status}\n` : ""}
                  {e.details}
                </pre>
              </CollapsibleContent>
            </Collapsible>
          ) : null}
        </div>
        {onRetry && (e.retryable || e.status >= 500) ? (
          <Button size="sm" variant="outline" onClick={onRetry}>
            <RotateCw aria-hidden /> Retry
          </Button>
        ) : null}
      </div>
    </div>
  );
}
