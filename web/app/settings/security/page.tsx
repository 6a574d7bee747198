import { Suspense } from "react";

import { SecurityPage } from "@/components/security/security-page";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata = { title: "Security · Settings" };

export default function Page() {
  return (
    <Suspense fallback={<Skeleton className="h-40" />}>
      <SecurityPage />
    </Suspense>
  );
}
