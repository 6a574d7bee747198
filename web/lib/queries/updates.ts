"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, rawJson, unwrap } from "@/lib/api/client";
import type { DryRun, ServiceUpdates, UpdateJob } from "@/lib/api/types";

import { serviceKeys } from "./services";

/**
 * Under the service's key, so what refreshes a service after a run, a restart or an apply (they
 * invalidate ["services"]) asks the registries again too. The file hash is part of the key: a saved
 * compose file (a new tag, a new policy) is a new question.
 */
export const updatesKey = (id: string, fileHash?: string | null) => [...serviceKeys.one(id), "updates", fileHash ?? ""] as const;

/**
 * GET /api/services/{id}/updates: asked live of the registries (nothing is pulled), so it is not polled
 * like the service itself; a minute old is fresh enough for a page that stays open.
 */
export function useServiceUpdates(id: string, fileHash: string | null | undefined, enabled: boolean) {
  return useQuery({
    queryKey: updatesKey(id, fileHash),
    enabled,
    staleTime: 60_000,
    queryFn: async (): Promise<ServiceUpdates> =>
      (await unwrap(api.GET("/api/services/{service_id}/updates", { params: { path: { service_id: id } } }))).data,
  });
}

/** The merge patch that puts each tag change on its image line (what the update run's bump writes). */
export function bumpPatch(updates: ServiceUpdates): Record<string, unknown> | null {
  const services: Record<string, { image: string }> = {};
  for (const image of updates.images) {
    if (image.status !== "update_available" || image.change !== "tag" || !image.applicable || !image.new_image) continue;
    for (const service of image.services) services[service] = { image: image.new_image };
  }
  return Object.keys(services).length ? { services } : null;
}

/** PATCH (JSON merge patch) of the compose file; with `dryRun` only its diff, nothing written. */
function patchCompose(id: string, patch: Record<string, unknown>, etag: string | null, dryRun: boolean) {
  return rawJson<unknown>(`/api/services/${encodeURIComponent(id)}`, {
    method: "PATCH", body: JSON.stringify(patch), contentType: "application/merge-patch+json",
    query: dryRun ? { dry_run: true } : undefined, headers: etag ? { "If-Match": etag } : {},
  });
}

export function usePatchPreview(id: string) {
  return useMutation({
    mutationFn: ({ patch, etag }: { patch: Record<string, unknown>; etag: string | null }) =>
      patchCompose(id, patch, etag, true) as Promise<DryRun>,
  });
}

/** Writes a merge patch guarded by the ETag its preview was made against (409 when the file moved on). */
export function usePatchCompose(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ patch, etag }: { patch: Record<string, unknown>; etag: string | null }) => patchCompose(id, patch, etag, false),
    onSuccess: () => qc.invalidateQueries({ queryKey: serviceKeys.one(id) }),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for a manual run that outlived the POST's own wait (202): its job is read until it has a run.
 * Gives up after `limitMs`, answering the job as it stands.
 */
export async function waitForRun(job: UpdateJob, limitMs = 15 * 60_000, everyMs = 2_000): Promise<UpdateJob> {
  const deadline = Date.now() + limitMs;
  let current = job;
  while (!current.run && !current.error && !["failed", "stopped", "canceled"].includes(current.status) && Date.now() < deadline) {
    await sleep(everyMs);
    current = (await unwrap(api.GET("/api/updates/jobs/{job_id}", { params: { path: { job_id: job.job_id } } }))).data;
  }
  return current;
}
