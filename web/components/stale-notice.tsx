"use client";

import { RotateCw, WifiOff } from "lucide-react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { asApiError } from "@/lib/api/errors";
import { clockTime } from "@/lib/connection";

/**
 * A refresh failed but the page keeps what it loaded: say since when it is shown, why it is not current,
 * and that it keeps trying by itself (lib/query-client.ts); Retry asks at once.
 */
export function StaleNotice({ error, updatedAt, fetching, onRetry }: {
  error: unknown;
  updatedAt: number;
  fetching?: boolean;
  onRetry?: () => void;
}) {
  const e = asApiError(error);
  const why = e.unanswered ? "sdmd does not answer" : e.message;
  const retrying = e.retryable || e.status >= 500;
  return (
    <div role="status" data-testid="stale" className="flex flex-wrap items-center gap-2 rounded-md border border-warning/60 bg-warning/10 px-3 py-2 text-sm">
      <WifiOff className="h-4 w-4 shrink-0" aria-hidden />
      <p className="flex-1">
        {updatedAt ? <>Last updated {clockTime(updatedAt)}</> : <>Not updated yet</>}
        {" · "}
        <span className="first-letter:uppercase">{why}</span>
        {retrying ? ", reconnecting…" : ""}
      </p>
      {onRetry ? (
        <Button size="sm" variant="outline" onClick={onRetry} disabled={fetching}>
          <RotateCw aria-hidden /> Retry now
        </Button>
      ) : null}
    </div>
  );
}

/**
 * A query's failure, the same way on every page: with something loaded, the page stays and says it is
 * stale; with nothing, the error panel (which says it keeps trying by itself when it does).
 */
export function LoadProblem({ error, hasData, updatedAt, fetching, onRetry, title }: {
  error: unknown;
  hasData: boolean;
  updatedAt: number;
  fetching?: boolean;
  onRetry?: () => void;
  title?: string;
}) {
  if (!error) return null;
  return hasData
    ? <StaleNotice error={error} updatedAt={updatedAt} fetching={fetching} onRetry={onRetry} />
    : <ErrorPanel error={error} onRetry={onRetry} title={title} autoRetry />;
}
