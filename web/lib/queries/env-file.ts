"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { EnvFile } from "@/lib/api/types";
import { runOperation } from "@/lib/live/progress";

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
    // live: saving applies the stack (compose up): its steps go to the progress panel
    mutationFn: async ({ content, etag, name }: { content: string; etag: string; name?: string }): Promise<EnvFile> =>
      (await runOperation<EnvFile>({
        title: `Save .env of ${name ?? id}`, path: `/api/services/${encodeURIComponent(id)}/env`, method: "PUT",
        json: { content }, headers: { "If-Match": `"${etag}"` },
      })).body,
    onSuccess: (saved) => {
      qc.setQueryData(envKey(id), saved);
      return qc.invalidateQueries({ queryKey: ["services"], predicate: (q) => q.queryKey[2] !== "env" });
    },
  });
}
