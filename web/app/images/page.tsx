import { Suspense } from "react";

import { ImagesPage } from "@/components/images/images-page";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata = { title: "Images" };

// ?host=<name> picks the Docker host (only `local` until hosts are configurable).
export default function Page() {
  return (
    <Suspense fallback={<Skeleton className="h-40" />}>
      <ImagesPage />
    </Suspense>
  );
}
