"use client";

import { ErrorPanel } from "@/components/error-panel";
import { Badge } from "@/components/ui/badge";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import type { Schedule } from "@/lib/api/types";
import { useScheduleRuns } from "@/lib/queries/schedules";
import { outcomeTone, outcomeWords } from "@/lib/run-outcome";
import { describeSchedule } from "@/lib/schedule-time";

const TRIGGER_WORDS: Record<string, string> = { schedule: "on schedule", manual: "by hand" };

/** The last runs of one schedule: what each found and did. */
export function ScheduleRunsDialog({ schedule, onClose }: { schedule: Schedule | null; onClose: () => void }) {
  const { data, error, refetch, isPending } = useScheduleRuns(schedule?.id ?? null);
  return (
    <Dialog open={!!schedule} onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle>Runs</DialogTitle>
          <DialogDescription>{schedule ? `${schedule.service_name ?? schedule.service_id}, ${describeSchedule(schedule)}` : ""}</DialogDescription>
        </DialogHeader>
        {isPending ? <Skeleton className="h-24" /> : error ? <ErrorPanel error={error} onRetry={() => refetch()} /> : !data?.length ? (
          <p className="text-sm text-muted-foreground">It has not run yet.</p>
        ) : (
          <ul className="divide-y text-sm" data-testid="schedule-runs">
            {data.map((run, i) => (
              <li key={run.id ?? i} className="space-y-1 py-2">
                <div className="flex flex-wrap items-center gap-2">
                  <time dateTime={run.started_at} className="text-xs text-muted-foreground">{new Date(run.started_at).toLocaleString()}</time>
                  <Badge variant={outcomeTone(run.result)} data-testid="run-result">{outcomeWords(run.result)}</Badge>
                  <span className="text-xs text-muted-foreground">
                    {run.mode === "check" ? "check only" : "update"} · {TRIGGER_WORDS[run.trigger] ?? run.trigger}{run.actor ? ` by ${run.actor}` : ""}
                  </span>
                </div>
                {run.reason ? <p className="break-words text-xs">{run.reason}</p> : null}
                {run.images.filter((img) => img.changed).map((img) => (
                  <p key={`${img.service}-${img.image}`} className="break-all font-mono text-xs">
                    {img.service}: {img.image} {img.old_id?.slice(7, 19)} → {img.new_id?.slice(7, 19)}
                  </p>
                ))}
              </li>
            ))}
          </ul>
        )}
      </DialogContent>
    </Dialog>
  );
}
