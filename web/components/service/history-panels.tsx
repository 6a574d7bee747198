"use client";

import { AuditTable } from "@/components/audit/audit-table";
import { ErrorPanel } from "@/components/error-panel";
import { NotAvailable } from "@/components/not-available";
import { Skeleton } from "@/components/ui/skeleton";
import { isMissingEndpoint } from "@/lib/api/missing";
import { useServiceAudit } from "@/lib/queries/audit";
import { useGitHistory } from "@/lib/queries/gitops";
import Link from "next/link";

export function ServiceActivity({ serviceId }: { serviceId: string }) {
  const { data, error, refetch, isPending } = useServiceAudit(serviceId);
  if (isPending) return <Skeleton className="h-24" />;
  if (error) return isMissingEndpoint(error) ? <NotAvailable what="The audit log" /> : <ErrorPanel error={error} onRetry={() => refetch()} />;
  return (
    <div className="space-y-2">
      <AuditTable entries={data ?? []} showTarget={false} />
      <Link href={`/audit/?target=${encodeURIComponent(serviceId)}`} className="text-sm text-primary hover:underline">
        All entries for this service
      </Link>
    </div>
  );
}

export function GitHistory({ serviceId }: { serviceId: string }) {
  const { data, error, refetch, isPending } = useGitHistory(serviceId);
  if (isPending) return <Skeleton className="h-24" />;
  if (error) return isMissingEndpoint(error) ? <NotAvailable what="Git history" /> : <ErrorPanel error={error} onRetry={() => refetch()} />;
  if (!data?.length) return <p className="p-4 text-sm text-muted-foreground">No commits yet.</p>;
  return (
    <ol className="divide-y" data-testid="git-history">
      {data.map((c, i) => (
        <li key={c.commit ?? c.sha ?? i} className="flex flex-col gap-0.5 px-3 py-2 text-sm sm:flex-row sm:items-baseline sm:gap-3">
          <span className="font-mono text-xs text-muted-foreground">{(c.commit ?? c.sha ?? "").slice(0, 8)}</span>
          <span className="flex-1 break-words">{c.message}</span>
          <span className="text-xs text-muted-foreground">
            {c.author ?? ""}{c.date ? ` · ${new Date(c.date).toLocaleString()}` : ""}
          </span>
        </li>
      ))}
    </ol>
  );
}
