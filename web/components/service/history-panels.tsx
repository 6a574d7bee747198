"use client";

import { AuditTable } from "@/components/audit/audit-table";
import { ErrorPanel } from "@/components/error-panel";
import { NotAvailable } from "@/components/not-available";
import { Skeleton } from "@/components/ui/skeleton";
import { isMissingEndpoint } from "@/lib/api/missing";
import { useServiceAudit } from "@/lib/queries/audit";
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
