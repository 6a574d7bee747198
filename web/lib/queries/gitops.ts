"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, raw, rawJson, unwrap } from "@/lib/api/client";
import { normalisePage } from "@/lib/audit-filters";
import type { CommitDetail, FileAtCommit, GitCommit, GitopsStatus, ReconcileReport, Service } from "@/lib/api/types";

/** Issue 5's git history of one service's compose file. */
export function useGitHistory(id: string) {
  return useQuery({
    queryKey: ["services", id, "git"],
    queryFn: async () => normalisePage<GitCommit>(await rawJson<unknown>(`/api/services/${encodeURIComponent(id)}/history`)).items,
    retry: false,
  });
}

/** One commit of the service's folder: its files with their diffs, and the folder's files at that version. */
export function useCommit(id: string, commit: string | null) {
  return useQuery({
    queryKey: ["services", id, "git", commit],
    enabled: !!commit,
    staleTime: Infinity, // a commit never changes (only is_head may, and the list refetches that)
    queryFn: async (): Promise<CommitDetail> =>
      (await unwrap(api.GET("/api/services/{service_id}/history/{commit}", { params: { path: { service_id: id, commit: commit! } } }))).data,
  });
}

export function useFileAtCommit(id: string, commit: string | null, path: string) {
  return useQuery({
    queryKey: ["services", id, "git", commit, "file", path],
    enabled: !!commit,
    staleTime: Infinity,
    queryFn: async (): Promise<FileAtCommit> =>
      (await unwrap(api.GET("/api/services/{service_id}/history/{commit}/file", {
        params: { path: { service_id: id, commit: commit! }, query: { path } },
      }))).data,
  });
}

/** Restore compose.yaml as it was at a commit, guarded by the ETag of the version on screen. */
export function useRestoreVersion(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ commit, etag }: { commit: string; etag: string | null }) => {
      const response = await raw(`/api/services/${encodeURIComponent(id)}/history/${encodeURIComponent(commit)}/restore`, {
        method: "POST", headers: etag ? { "If-Match": etag } : {},
      });
      return { service: (await response.json()) as Service, etag: response.headers.get("ETag") };
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ["services"] }),
  });
}

export function useGitopsStatus() {
  return useQuery({
    queryKey: ["gitops", "status"],
    queryFn: async (): Promise<GitopsStatus> => (await unwrap(api.GET("/api/gitops/status"))).data,
    refetchInterval: 10_000,
  });
}

export function useReconcile() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (): Promise<ReconcileReport> => (await unwrap(api.POST("/api/gitops/reconcile"))).data,
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: ["gitops"] }), qc.invalidateQueries({ queryKey: ["services"] })]),
  });
}
