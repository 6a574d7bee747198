"use client";

import { GitBranch, Play, RefreshCw, Trash2 } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { GitopsRound, GitopsStatus, StackState } from "@/lib/api/types";
import { relativeTime, shortSha } from "@/lib/format";
import { useGitopsStatus, useReconcile } from "@/lib/queries/gitops";
import { useApplyService, useDeleteService } from "@/lib/queries/services";
import { toast } from "@/lib/toast";

const REMOTE_VARIANT: Record<string, "success" | "warning" | "destructive" | "muted" | "info"> = {
  in_sync: "success", pushed: "success", pulled: "success", ahead: "info", retry: "warning",
  diverged: "destructive", rejected: "destructive", error: "destructive", disabled: "muted", unknown: "muted",
};
const REMOTE_WORDS: Record<string, string> = {
  in_sync: "in sync", pushed: "pushed", pulled: "pulled", ahead: "ahead (push pending)", retry: "will retry",
  diverged: "diverged", rejected: "push rejected", error: "error", disabled: "no remote", unknown: "not synced yet",
};
const TRIGGER_WORDS: Record<string, string> = {
  periodic: "periodic round", watch: "file change", api: "“Reconcile now”", cli: "sdmd reconcile",
};

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[8rem_minmax(0,1fr)] gap-2 py-1 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </div>
  );
}

function Round({ round, now }: { round: GitopsRound; now: number }) {
  return (
    <div className="space-y-2 text-sm" data-testid="round">
      <p>
        <span title={new Date(round.finished_at).toLocaleString()}>{relativeTime(round.finished_at, now)}</span>
        {" · "}{TRIGGER_WORDS[round.trigger] ?? round.trigger}
        {round.scope ? ` · ${round.scope.join(", ")}` : " · every stack"}
        {" · "}{round.commits.length} commit{round.commits.length === 1 ? "" : "s"}
      </p>
      {round.errors.length ? (
        <ul className="space-y-1" data-testid="round-errors">
          {round.errors.map((e, i) => (
            <li key={i} className="rounded-md border border-destructive/40 bg-destructive/5 p-2">
              <span className="font-medium">{e.stack ?? "repository"}</span>: <span className="break-words font-mono text-xs">{e.error}</span>
            </li>
          ))}
        </ul>
      ) : <p className="text-success" data-testid="round-ok">No errors.</p>}
      {round.stacks.length ? (
        <ul className="list-disc space-y-0.5 pl-5 text-xs text-muted-foreground">
          {round.stacks.map((s, i) => <li key={i}><span className="font-medium text-foreground">{s.name}</span>: {s.action.replace(/_/g, " ")}</li>)}
        </ul>
      ) : null}
    </div>
  );
}

function StackActions({ stack, onDelete }: { stack: StackState; onDelete: (s: StackState) => void }) {
  const apply = useApplyService();
  const qc = useQueryClient();
  if (!stack.service_id) return null;
  const run = async () => {
    try {
      await apply.mutateAsync(stack.service_id!);
      toast(`Applied ${stack.name}`, { variant: "success" });
      await qc.invalidateQueries({ queryKey: ["gitops"] });
    } catch (exc) {
      toast(`Could not apply ${stack.name}`, { variant: "error", description: asApiError(exc).message });
    }
  };
  if (stack.state === "orphaned") {
    return (
      <Button size="sm" variant="destructive" onClick={() => onDelete(stack)} data-testid="stack-delete">
        <Trash2 aria-hidden /> Delete service…
      </Button>
    );
  }
  return (
    <Button size="sm" onClick={run} disabled={apply.isPending} data-testid="stack-apply">
      <Play aria-hidden /> {apply.isPending ? "Applying…" : stack.state === "error" ? "Retry apply" : "Apply"}
    </Button>
  );
}

function Attention({ status }: { status: GitopsStatus }) {
  const [deleting, setDeleting] = useState<StackState | null>(null);
  const del = useDeleteService();
  const qc = useQueryClient();
  if (!status.stacks.length) return <p className="text-sm text-muted-foreground" data-testid="no-attention">Every stack is in sync with its folder.</p>;
  return (
    <>
      <ul className="divide-y" data-testid="attention">
        {status.stacks.map((s) => (
          <li key={s.name} className="flex flex-col gap-2 py-2 sm:flex-row sm:items-start" data-testid="stack-state" data-name={s.name}>
            <div className="min-w-0 flex-1 space-y-1 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                {s.service_id ? <Link className="font-medium text-primary hover:underline" href={`/service/?id=${encodeURIComponent(s.service_id)}`}>{s.name}</Link>
                  : <span className="font-medium">{s.name}</span>}
                <Badge variant={s.state === "error" ? "destructive" : "warning"}>{s.state}</Badge>
              </div>
              <p className="text-muted-foreground">
                {s.state === "pending" ? "A change in its folder waits to be applied (SDMD_GITOPS_APPLY=manual)."
                  : s.state === "orphaned" ? `Its folder was deleted${s.orphaned_at ? ` ${relativeTime(s.orphaned_at)}` : ""}; the containers still run.`
                  : s.service_id ? "The file in its folder could not be applied; the last good version keeps running."
                  : "A new folder whose file is not valid: fix the file and the next round creates the service."}
              </p>
              {s.error ? <p className="break-words font-mono text-xs">{s.error}</p> : null}
            </div>
            <StackActions stack={s} onDelete={setDeleting} />
          </li>
        ))}
      </ul>
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => { if (!o) { setDeleting(null); del.reset(); } }}
        title={`Delete ${deleting?.name ?? ""}?`}
        description={<p>Its folder is already gone from the stacks repository; this takes its containers down and forgets the service.</p>}
        confirmLabel="Delete service"
        destructive
        typeToConfirm={deleting?.name}
        busy={del.isPending}
        onConfirm={async () => {
          if (!deleting?.service_id) return;
          try {
            await del.mutateAsync({ id: deleting.service_id, volumes: false });
            toast(`Deleted ${deleting.name}`, { variant: "success" });
            setDeleting(null);
            await qc.invalidateQueries({ queryKey: ["gitops"] });
          } catch {
            // shown in the dialog
          }
        }}
      >
        {del.error ? <ErrorPanel error={del.error} clearOnReconnect /> : null}
      </ConfirmDialog>
    </>
  );
}

export function GitopsPage() {
  const { data, error, refetch, isPending, dataUpdatedAt } = useGitopsStatus();
  const reconcile = useReconcile();
  const now = dataUpdatedAt || Date.now();

  const runReconcile = async () => {
    try {
      const report = await reconcile.mutateAsync();
      const failed = report.stacks.filter((s) => s.action === "invalid" || s.action === "failed").length;
      toast(failed ? `Round done: ${failed} stack${failed === 1 ? "" : "s"} failed` : "Round done", {
        variant: failed ? "error" : "success",
        description: `${report.commits.length} commit${report.commits.length === 1 ? "" : "s"}, ${report.stacks.length} stack${report.stacks.length === 1 ? "" : "s"} changed`,
      });
    } catch (exc) {
      toast("Reconcile failed", { variant: "error", description: asApiError(exc).message });
    }
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">GitOps</h1>
          <p className="text-sm text-muted-foreground">
            The stacks folder is a git repository: hand edits and pulls are committed and applied each round.
          </p>
        </div>
        <Button onClick={runReconcile} disabled={reconcile.isPending || !data} data-testid="reconcile-now">
          <RefreshCw className={reconcile.isPending ? "animate-spin" : undefined} aria-hidden /> {reconcile.isPending ? "Reconciling…" : "Reconcile now"}
        </Button>
      </div>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-48" /> : data ? (
        <div className="grid gap-4 lg:grid-cols-2">
          <Card>
            <CardHeader><CardTitle className="flex items-center gap-2"><GitBranch className="h-4 w-4" aria-hidden /> Repository</CardTitle></CardHeader>
            <CardContent>
              <dl data-testid="repository">
                <Row label="Folder"><span className="font-mono text-xs">{data.stacks_dir}</span></Row>
                <Row label="Branch"><span className="font-mono" data-testid="branch">{data.branch ?? "—"}</span> at <span className="font-mono" title={data.head ?? ""}>{shortSha(data.head) || "no commits yet"}</span></Row>
                <Row label="Hand edits">{data.apply === "auto" ? "applied automatically" : "wait for Apply (manual)"}</Row>
                <Row label="Deleted folders">{data.prune ? "their services are removed" : "their services are kept, marked orphaned"}</Row>
                <Row label="Uncommitted">
                  {data.uncommitted.length ? (
                    <ul className="font-mono text-xs" data-testid="uncommitted">{data.uncommitted.map((p) => <li key={p}>{p}</li>)}</ul>
                  ) : "nothing"}
                </Row>
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Remote</CardTitle>
              {!data.remote.configured ? <CardDescription>None configured: set SDMD_GIT_REMOTE (and SDMD_GIT_BRANCH) to fetch, fast-forward and push.</CardDescription> : null}
            </CardHeader>
            <CardContent>
              <dl data-testid="remote">
                <Row label="State"><Badge variant={REMOTE_VARIANT[data.remote.state] ?? "muted"} data-testid="remote-state">{REMOTE_WORDS[data.remote.state] ?? data.remote.state}</Badge></Row>
                {data.remote.url ? <Row label="URL"><span className="break-all font-mono text-xs">{data.remote.url}</span></Row> : null}
                <Row label="Branch"><span className="font-mono">{data.remote.branch}</span></Row>
                {data.remote.detail ? <Row label="Detail"><span className="font-mono text-xs">{data.remote.detail}</span></Row> : null}
                {data.remote.remote_head ? <Row label="Remote head"><span className="font-mono">{shortSha(data.remote.remote_head)}</span></Row> : null}
                {data.remote.synced_at ? <Row label="Last sync">{relativeTime(data.remote.synced_at, now)}</Row> : null}
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Last round</CardTitle></CardHeader>
            <CardContent data-testid="last-round">
              {data.last_round ? <Round round={data.last_round} now={now} /> : <p className="text-sm text-muted-foreground">No round has run yet.</p>}
              {(data.rounds ?? []).slice(1).some((r) => r.errors.length) ? (
                <details className="mt-3 text-sm">
                  <summary className="cursor-pointer text-muted-foreground">Earlier rounds with errors</summary>
                  <div className="mt-2 space-y-3">
                    {(data.rounds ?? []).slice(1).filter((r) => r.errors.length).map((r) => <Round key={r.id} round={r} now={now} />)}
                  </div>
                </details>
              ) : null}
            </CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Needs attention</CardTitle><CardDescription>Pending, failed and orphaned stacks.</CardDescription></CardHeader>
            <CardContent><Attention status={data} /></CardContent>
          </Card>
          <Card className="lg:col-span-2">
            <CardHeader><CardTitle>Recent commits</CardTitle></CardHeader>
            <CardContent className="px-0 sm:px-0">
              {data.recent_commits.length ? (
                <ol className="divide-y" data-testid="recent-commits">
                  {data.recent_commits.map((c) => (
                    <li key={c.commit} className="flex flex-col gap-0.5 px-4 py-2 text-sm sm:flex-row sm:items-baseline sm:gap-3 sm:px-5">
                      <span className="font-mono text-xs text-muted-foreground">{shortSha(c.commit)}</span>
                      <span className="flex-1 break-words">{c.message}</span>
                      <span className="text-xs text-muted-foreground">{c.author}{c.date ? ` · ${relativeTime(c.date, now)}` : ""}</span>
                    </li>
                  ))}
                </ol>
              ) : <p className="px-4 text-sm text-muted-foreground sm:px-5">No commits yet.</p>}
            </CardContent>
          </Card>
        </div>
      ) : null}
    </div>
  );
}
