import { Suspense } from "react";

import { AuditPage } from "@/components/audit/audit-page";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata = { title: "Audit log" };

export default function Page() {
  return (
    <Suspense fallback={<Skeleton className="h-40" />}>
      <AuditPage />
    </Suspense>
  );
}
