"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { ImageList, PruneResult } from "@/lib/api/types";

export const imageKeys = { list: (host: string) => ["images", host] as const };

/** The host's local images with their users; refreshed now and then (pulls and updates add some). */
export function useImages(host: string) {
  return useQuery({
    queryKey: imageKeys.list(host),
    queryFn: async (): Promise<ImageList> => (await unwrap(api.GET("/api/images", { params: { query: { host } } }))).data,
    refetchInterval: 15_000,
  });
}

export function useRemoveImage(host: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, tag }: { id: string; tag?: string }) =>
      (await unwrap(api.DELETE("/api/images/{image_id}", { params: { path: { image_id: id }, query: { host, tag } } }))).data,
    onSettled: () => qc.invalidateQueries({ queryKey: ["images"] }),
  });
}

export type PruneMode = "dangling" | "unused";

export function usePrune(host: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { mode: PruneMode; dry_run: boolean; images?: string[] }): Promise<PruneResult> =>
      (await unwrap(api.POST("/api/images/prune", { params: { query: { host } }, body }))).data,
    onSuccess: (result) => {
      if (!result.dry_run) void qc.invalidateQueries({ queryKey: ["images"] });
    },
  });
}
