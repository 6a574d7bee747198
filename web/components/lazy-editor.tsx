"use client";

import dynamic from "next/dynamic";

import { Skeleton } from "@/components/ui/skeleton";

/** CodeMirror loads only on screens that edit YAML, keeping it out of the services list's first load. */
export const LazyCodeEditor = dynamic(() => import("@/components/code-editor"), {
  ssr: false,
  loading: () => <Skeleton className="h-96 w-full" />,
});
