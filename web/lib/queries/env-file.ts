"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { EnvFile } from "@/lib/api/types";

export const envKey = (id: string) => ["services", id, "env"] as const;

export function useEnvFile(id: string) {
  return useQuery({
    queryKey: envKey(id),
    queryFn: async (): Promise<EnvFile> =>
      (await unwrap(api.GET("/api/services/{service_id}/env", { params: { path: { service_id: id } } }))).data,
  });
}

/** Saves the .env guarded by the ETag it was loaded with; sdmd validates, applies and commits it. */
export function useSaveEnvFile(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ content, etag }: { content: string; etag: string }): Promise<EnvFile> =>
      (await unwrap(api.PUT("/api/services/{service_id}/env", {
        params: { path: { service_id: id }, header: { "if-match": `"${etag}"` } },
        body: { content },
      }))).data,
    onSuccess: (saved) => {
      qc.setQueryData(envKey(id), saved);
      return qc.invalidateQueries({ queryKey: ["services"], predicate: (q) => q.queryKey[2] !== "env" });
    },
  });
}
