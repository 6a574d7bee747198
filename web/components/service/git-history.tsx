"use client";

import { ChevronRight, Eye, EyeOff, FileText, History, RotateCcw } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { DiffView } from "@/components/diff-view";
import { ErrorPanel } from "@/components/error-panel";
import { NotAvailable } from "@/components/not-available";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { NativeSelect } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import { isMissingEndpoint } from "@/lib/api/missing";
import type { CommitFile } from "@/lib/api/types";
import { isEnvPath, maskEnvLine } from "@/lib/diff";
import { relativeTime, shortSha } from "@/lib/format";
import { useCommit, useFileAtCommit, useGitHistory, useRestoreVersion } from "@/lib/queries/gitops";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

function FileDiff({ file, reveal }: { file: CommitFile; reveal: boolean }) {
  const masked = isEnvPath(file.path) && !reveal;
  return (
    <div className="overflow-hidden rounded-md border" data-testid="file-diff" data-path={file.path}>
      <div className="flex flex-wrap items-center gap-2 border-b bg-muted/50 px-3 py-1.5 text-xs">
        <span className="font-mono font-medium">{file.old_path ? `${file.old_path} → ` : ""}{file.path}</span>
        <Badge variant={file.status === "added" ? "success" : file.status === "deleted" ? "destructive" : "muted"}>{file.status}</Badge>
        <span className="text-success">+{file.additions}</span>
        <span className="text-destructive">−{file.deletions}</span>
        {masked ? <span className="text-muted-foreground">values hidden</span> : null}
      </div>
      {file.binary ? <p className="p-3 text-xs text-muted-foreground">A binary file: no diff to show.</p> : (
        <DiffView patch={file.patch} label={`Changes to ${file.path}`} masked={masked} />
      )}
      {file.truncated ? <p className="border-t p-2 text-xs text-muted-foreground">The diff is cut at 512 KiB.</p> : null}
    </div>
  );
}

function FileAtVersion({ serviceId, commit, tree, reveal }: { serviceId: string; commit: string; tree: string[]; reveal: boolean }) {
  const [path, setPath] = useState(tree.includes("compose.yaml") ? "compose.yaml" : tree[0] ?? "compose.yaml");
  const { data, error, isPending } = useFileAtCommit(serviceId, commit, path);
  const masked = isEnvPath(path) && !reveal;
  return (
    <div className="space-y-2" data-testid="file-at-version">
      {tree.length > 1 ? (
        <NativeSelect aria-label="File" value={path} onChange={(e) => setPath(e.target.value)} className="sm:w-64">
          {tree.map((p) => <option key={p} value={p}>{p}</option>)}
        </NativeSelect>
      ) : null}
      {isPending ? <Skeleton className="h-32" /> : error ? <ErrorPanel error={error} /> : data ? (
        <pre className="max-h-[28rem] overflow-auto rounded-md border bg-muted/30 p-3 font-mono text-xs leading-5" aria-label={`${path} at ${shortSha(commit)}`}>
          {(masked ? data.content.split("\n").map(maskEnvLine).join("\n") : data.content) || "(empty file)"}
        </pre>
      ) : null}
    </div>
  );
}

function CommitView({ serviceId, commit, etag }: { serviceId: string; commit: string; etag: string | null }) {
  const { data, error, isPending, refetch } = useCommit(serviceId, commit);
  const restore = useRestoreVersion(serviceId);
  const [showFile, setShowFile] = useState(false);
  const [reveal, setReveal] = useState(false);
  const [confirming, setConfirming] = useState(false);
  if (isPending) return <Skeleton className="h-24" />;
  if (!data) return <ErrorPanel error={error} onRetry={() => refetch()} />;
  const hasCompose = data.tree.includes("compose.yaml");
  const hasEnv = data.files.some((f) => isEnvPath(f.path)) || data.tree.some(isEnvPath);
  const body = data.message.split("\n").slice(1).join("\n").trim();

  return (
    <div className="space-y-3 px-3 pb-3" data-testid="commit-view">
      {body ? <pre className="whitespace-pre-wrap break-words font-mono text-xs text-muted-foreground">{body}</pre> : null}
      <div className="flex flex-wrap gap-2">
        <Button size="sm" variant="outline" onClick={() => setShowFile((v) => !v)} aria-expanded={showFile} data-testid="view-file">
          <FileText aria-hidden /> {showFile ? "Show the changes" : "View the files at this version"}
        </Button>
        {hasEnv ? (
          <Button size="sm" variant="ghost" onClick={() => setReveal((v) => !v)} aria-pressed={reveal}>
            {reveal ? <EyeOff aria-hidden /> : <Eye aria-hidden />} {reveal ? "Hide .env values" : "Show .env values"}
          </Button>
        ) : null}
        {!data.is_head && hasCompose ? (
          <Button size="sm" onClick={() => setConfirming(true)} data-testid="restore-version">
            <RotateCcw aria-hidden /> Restore this version
          </Button>
        ) : null}
      </div>
      {showFile ? <FileAtVersion serviceId={serviceId} commit={data.commit} tree={data.tree} reveal={reveal} /> : data.files.length ? (
        <div className="space-y-3">{data.files.map((f) => <FileDiff key={f.path} file={f} reveal={reveal} />)}</div>
      ) : <p className="text-sm text-muted-foreground">This commit changed nothing in this service&apos;s folder.</p>}

      <ConfirmDialog
        open={confirming}
        onOpenChange={(o) => { setConfirming(o); if (!o) restore.reset(); }}
        title={`Restore ${shortSha(data.commit)}?`}
        description={
          <>
            <p>compose.yaml goes back to how it was at <span className="font-mono">{shortSha(data.commit)}</span> ({relativeTime(data.date)}).
              It is checked and applied like any edit (if applying fails, the current version stays) and recorded as a new commit.</p>
            <p>Other files of the folder, such as .env, stay as they are.</p>
          </>
        }
        confirmLabel="Restore and apply"
        busy={restore.isPending}
        onConfirm={async () => {
          try {
            const result = await restore.mutateAsync({ commit: data.commit, etag });
            toast(`Restored ${shortSha(data.commit)}`, { variant: "success", description: `${result.service.name} is ${result.service.status.replace("_", " ")}` });
            setConfirming(false);
          } catch {
            // shown in the dialog
          }
        }}
      >
        {restore.error ? (
          <ErrorPanel error={restore.error} clearOnReconnect title={asApiError(restore.error).status === 409 ? "Not restored" : undefined}>
            {asApiError(restore.error).message === "service changed meanwhile"
              ? <p className="text-xs">The compose file changed since this page loaded it. Close this, let the page refresh, and try again.</p> : null}
          </ErrorPanel>
        ) : null}
      </ConfirmDialog>
    </div>
  );
}

/** The service folder's commits; each opens to its diff, the files at that version and "restore this version". */
export default function GitHistoryPanel({ serviceId, etag }: { serviceId: string; etag: string | null }) {
  const { data, error, refetch, isPending } = useGitHistory(serviceId);
  const [open, setOpen] = useState<string | null>(null);
  if (isPending) return <Skeleton className="h-24" />;
  // A failed refresh keeps the list (the page says it is stale); only a first load that failed shows the error.
  if (!data) return error && isMissingEndpoint(error) ? <NotAvailable what="Git history" /> : <ErrorPanel error={error} onRetry={() => refetch()} />;
  if (!data?.length) return <p className="p-4 text-sm text-muted-foreground">No commits yet.</p>;
  return (
    <ol className="divide-y" data-testid="git-history">
      {data.map((c, i) => {
        const sha = c.commit ?? c.sha ?? "";
        const expanded = open === sha;
        return (
          <li key={sha || i} data-testid="commit" data-commit={sha}>
            <button
              type="button"
              className="flex w-full flex-col gap-0.5 px-3 py-2 text-left text-sm hover:bg-muted/50 focus-visible:outline-2 focus-visible:outline-ring sm:flex-row sm:items-baseline sm:gap-3 cursor-pointer"
              aria-expanded={expanded}
              onClick={() => setOpen(expanded ? null : sha)}
            >
              <span className="flex items-center gap-1 font-mono text-xs text-muted-foreground">
                <ChevronRight className={cn("h-3 w-3 transition-transform", expanded && "rotate-90")} aria-hidden />{shortSha(sha, 8)}
              </span>
              <span className="flex-1 break-words">
                {c.message}
                {i === 0 ? <Badge variant="info" className="ml-2"><History className="h-3 w-3" aria-hidden />current</Badge> : null}
              </span>
              <span className="text-xs text-muted-foreground" title={c.date ? new Date(c.date).toLocaleString() : undefined}>
                {c.author ?? ""}{c.date ? ` · ${relativeTime(c.date)}` : ""}
              </span>
            </button>
            {expanded ? <CommitView serviceId={serviceId} commit={sha} etag={etag} /> : null}
          </li>
        );
      })}
    </ol>
  );
}
