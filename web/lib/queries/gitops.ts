"use client";

import { useQuery } from "@tanstack/react-query";

import { rawJson } from "@/lib/api/client";
import { normalisePage } from "@/lib/audit-filters";
import type { GitCommit } from "@/lib/api/types";

/** Issue 5's git history of one service's compose file. */
export function useGitHistory(id: string) {
  return useQuery({
    queryKey: ["services", id, "git"],
    queryFn: async () => normalisePage<GitCommit>(await rawJson<unknown>(`/api/services/${encodeURIComponent(id)}/history`)).items,
    retry: false,
  });
}
