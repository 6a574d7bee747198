"use client";

import { useQueryClient } from "@tanstack/react-query";
import { CircleCheck, CircleX, ExternalLink, Loader2, Undo2 } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { DiffPreview } from "@/components/save-preview";
import { Button } from "@/components/ui/button";
import {
  Dialog, DialogClose, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle,
} from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { ImageUpdate, ScheduleRun, ServiceUpdates, UpdateJob } from "@/lib/api/types";
import { shortSha } from "@/lib/format";
import { serviceKeys, useUpdateService } from "@/lib/queries/services";
import { bumpPatch, usePatchPreview, waitForRun } from "@/lib/queries/updates";
import { outcomeSentence } from "@/lib/run-outcome";
import { toast } from "@/lib/toast";
import { changeWords, pendingChanges, policyWords } from "@/lib/update-words";
import { cn } from "@/lib/utils";

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleDateString() : "";
}

function ChangeItem({ image }: { image: ImageUpdate }) {
  const { current, candidate } = image;
  return (
    <li className="space-y-1 rounded-md border p-3 text-sm" data-testid="update-change" data-change={image.change ?? ""}>
      <p className="flex flex-wrap items-baseline gap-2">
        <span className="font-medium">{image.services.join(", ")}</span>
        <span className="font-mono text-xs" data-testid="update-change-words">{changeWords(image)}</span>
      </p>
      {image.change === "tag" ? (
        <p className="break-all font-mono text-xs text-muted-foreground">{image.image} → {image.new_image}</p>
      ) : (
        <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2 font-mono text-xs" data-testid="update-digests">
          <dt className="text-muted-foreground">now</dt><dd className="break-all">{current.digest ?? "?"}</dd>
          <dt className="text-muted-foreground">new</dt><dd className="break-all">{candidate?.digest ?? "?"}</dd>
        </dl>
      )}
      <p className="text-xs text-muted-foreground">
        {policyWords(image.policy)}
        {current.created || candidate?.created ? ` · built ${when(current.created) || "?"} → ${when(candidate?.created) || "?"}` : ""}
        {candidate?.version ? ` · version ${candidate.version}` : ""}
      </p>
      {candidate?.release_notes ? (
        <a href={candidate.release_notes} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1 text-xs underline-offset-2 hover:underline">
          Release notes <ExternalLink className="h-3 w-3" aria-hidden />
        </a>
      ) : null}
    </li>
  );
}

const OUTCOME_STYLE: Record<string, { title: string; box: string; Icon: typeof CircleCheck }> = {
  updated: { title: "Updated", box: "border-success/50 bg-success/10", Icon: CircleCheck },
  rolled_back: { title: "Rolled back", box: "border-warning/60 bg-warning/10", Icon: Undo2 },
  error: { title: "The update failed", box: "border-destructive/50 bg-destructive/5", Icon: CircleX },
};

/** What the run did, in words; a rollback says why and that the previous file and images are back. */
function Outcome({ job }: { job: UpdateJob }) {
  const run: ScheduleRun | null | undefined = job.run;
  if (!run) {
    return (
      <p className="rounded-md border border-info/50 bg-info/5 p-3 text-sm" data-testid="update-outcome" data-result="running">
        The update is still running in the worker; the service page shows its result when it ends.
      </p>
    );
  }
  const style = OUTCOME_STYLE[run.result] ?? { title: outcomeSentence(run.result), box: "border-border bg-muted/40", Icon: CircleCheck };
  return (
    <div role="status" className={cn("space-y-2 rounded-md border p-3 text-sm", style.box)} data-testid="update-outcome" data-result={run.result}>
      <p className="flex items-center gap-2 font-medium"><style.Icon className="h-4 w-4 shrink-0" aria-hidden /> {style.title}</p>
      {run.result === "rolled_back" ? (
        <p>The new version did not pass the health gate, so sdmd put the previous compose file and images back.</p>
      ) : run.result === "up_to_date" ? (
        <p>Nothing was newer by the time the update ran: nothing changed.</p>
      ) : run.result === "skipped" ? (
        <p>Another update of this service was running; this one did nothing.</p>
      ) : null}
      {run.reason ? <p className="break-words" data-testid="update-reason"><span className="font-medium">Reason:</span> {run.reason}</p> : null}
      {run.commit || run.revert_commit ? (
        <p className="font-mono text-xs" data-testid="update-commits">
          {run.commit ? `commit ${shortSha(run.commit)}` : ""}
          {run.revert_commit ? ` · reverted by ${shortSha(run.revert_commit)}` : ""}
        </p>
      ) : null}
    </div>
  );
}

/**
 * "Update now" on the service page: what will change (the compose diff of a tag bump, from a dry run of the
 * same merge patch the run writes; the new digest of a rebuilt tag), then the run and its outcome.
 */
export default function UpdateDialog({ open, onOpenChange, serviceId, serviceName, updates, updatesPending, updatesError }: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  serviceId: string;
  serviceName: string;
  updates: ServiceUpdates | undefined;
  updatesPending: boolean;
  updatesError: unknown;
}) {
  const qc = useQueryClient();
  const update = useUpdateService();
  const preview = usePatchPreview(serviceId);
  const [job, setJob] = useState<UpdateJob | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const patch = updates ? bumpPatch(updates) : null;
  const patchKey = patch ? JSON.stringify(patch) : "";
  const { tags, digests, stuck } = pendingChanges(updates?.images ?? []);

  const { mutate: runPreview, reset: resetPreview } = preview;
  useEffect(() => {
    if (open && patchKey && !job) runPreview({ patch: JSON.parse(patchKey), etag: null });
  }, [open, patchKey, job, runPreview]);

  const close = (o: boolean) => {
    if (!o && !running) {
      setJob(null);
      setError(null);
      resetPreview();
    }
    onOpenChange(o);
  };

  const run = async () => {
    setError(null);
    setRunning(true);
    try {
      let answer = await update.mutateAsync({ id: serviceId, mode: "update" });
      if (!answer.run) answer = await waitForRun(answer);
      setJob(answer);
      toast(`Update now: ${serviceName}`, {
        variant: answer.run?.result === "updated" || answer.run?.result === "up_to_date" ? "success" : answer.run ? "error" : "success",
        description: answer.run ? outcomeSentence(answer.run.result, answer.run.reason) : "still running in the background",
      });
      await qc.invalidateQueries({ queryKey: serviceKeys.all });
    } catch (exc) {
      setError(asApiError(exc));
    } finally {
      setRunning(false);
    }
  };

  const nothing = !!updates && !tags.length && !digests.length && !stuck.length;
  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent className="max-w-3xl" data-testid="update-dialog">
        <DialogHeader>
          <DialogTitle>{job ? `Update of ${serviceName}` : `Update ${serviceName}?`}</DialogTitle>
          <DialogDescription>
            {job ? "What the update did." : "sdmd pulls only what changed and recreates only those containers, behind the health gate: "
              + "if they do not come up healthy, the previous images (and compose file) come back."}
          </DialogDescription>
        </DialogHeader>

        {job ? <Outcome job={job} /> : (
          <div className="min-w-0 space-y-3">
            {updatesPending ? <Skeleton className="h-16" /> : !updates ? (
              <ErrorPanel error={updatesError} title="Could not ask the registries what would change" />
            ) : nothing ? (
              <p className="rounded-md border border-info/50 bg-info/5 p-3 text-sm" data-testid="update-nothing">
                The registries have nothing newer for this service right now. Updating anyway checks again and changes nothing if that is still so.
              </p>
            ) : (
              <ul className="space-y-2" data-testid="update-changes">
                {[...tags, ...digests, ...stuck].map((image) => <ChangeItem key={`${image.image}|${image.services.join(",")}`} image={image} />)}
              </ul>
            )}
            {stuck.length ? (
              <p className="text-xs text-muted-foreground">
                A tag that comes from a ${"{VARIABLE}"} cannot be edited by sdmd: change it in the .env tab.
              </p>
            ) : null}
            {tags.length ? (
              <div className="space-y-1">
                <p className="text-sm font-medium">compose.yaml gets the new tag, committed to git as you:</p>
                {preview.data ? <DiffPreview preview={preview.data} unchanged="The compose file already names these tags." />
                  : preview.error ? <ErrorPanel error={preview.error} title="Could not preview the compose change"
                    onRetry={() => runPreview({ patch: JSON.parse(patchKey), etag: null })} />
                  : <Skeleton className="h-20" />}
              </div>
            ) : null}
            {running ? (
              <p className="flex items-center gap-2 text-sm" role="status" data-testid="update-running">
                <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> Pulling, recreating and waiting for the health gate…
              </p>
            ) : null}
            {error ? <ErrorPanel error={error} onRetry={run} clearOnReconnect /> : null}
          </div>
        )}

        <DialogFooter>
          {job ? (
            <DialogClose asChild><Button data-testid="update-done">Done</Button></DialogClose>
          ) : (
            <>
              <DialogClose asChild><Button variant="outline" disabled={running} data-testid="update-cancel">Cancel</Button></DialogClose>
              <Button onClick={run} disabled={running} data-testid="update-confirm">{running ? "Updating…" : "Update now"}</Button>
            </>
          )}
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
