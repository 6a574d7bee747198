import { Suspense } from "react";

import { ServiceDetail } from "@/components/service/service-detail";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata = { title: "Service" };

// The id travels in the query string (?id=svc_...): a static export has no per-id pages.
export default function ServicePage() {
  return (
    <Suspense fallback={<Skeleton className="h-40" />}>
      <ServiceDetail />
    </Suspense>
  );
}
