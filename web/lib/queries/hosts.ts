"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { Host, HostCreate, HostDeleted, HostTestResult, HostUpdate, MovePlan, Service } from "@/lib/api/types";

export const hostKeys = { all: ["hosts"] as const };

/** Every host with its live state (`local` first); refreshed as often as the services list. */
export function useHosts(options: { refetchInterval?: number | false } = {}) {
  return useQuery({
    queryKey: hostKeys.all,
    queryFn: async (): Promise<Host[]> => (await unwrap(api.GET("/api/hosts"))).data,
    refetchInterval: options.refetchInterval ?? 5_000,
  });
}

// A host change also changes what the services list says about their host.
function useInvalidateHosts() {
  const qc = useQueryClient();
  return () => Promise.all([
    qc.invalidateQueries({ queryKey: hostKeys.all }),
    qc.invalidateQueries({ queryKey: ["services"] }),
    qc.invalidateQueries({ queryKey: ["health"] }),
  ]);
}

export function useCreateHost() {
  const invalidate = useInvalidateHosts();
  return useMutation({
    mutationFn: async (body: HostCreate): Promise<Host> => (await unwrap(api.POST("/api/hosts", { body }))).data,
    onSuccess: invalidate,
  });
}

export function useUpdateHost() {
  const invalidate = useInvalidateHosts();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: HostUpdate }): Promise<Host> =>
      (await unwrap(api.PUT("/api/hosts/{host_id}", { params: { path: { host_id: id } }, body }))).data,
    onSuccess: invalidate,
  });
}

export function useDeleteHost() {
  const invalidate = useInvalidateHosts();
  return useMutation({
    mutationFn: async ({ id, force }: { id: string; force: boolean }): Promise<HostDeleted> =>
      (await unwrap(api.DELETE("/api/hosts/{host_id}", { params: { path: { host_id: id }, query: { force } } }))).data,
    onSuccess: invalidate,
  });
}

/** Connects now and reports; with `fingerprint` (SSH) it pins that host key, `replace` trusts a new one. */
export function useTestHost() {
  const invalidate = useInvalidateHosts();
  return useMutation({
    mutationFn: async ({ id, fingerprint, replace }: { id: string; fingerprint?: string; replace?: boolean }): Promise<HostTestResult> =>
      (await unwrap(api.POST("/api/hosts/{host_id}/test", {
        params: { path: { host_id: id } },
        body: fingerprint ? { fingerprint, replace: !!replace } : undefined,
      }))).data,
    onSuccess: invalidate,
  });
}

/** Moving a service: `dry_run` answers what stays behind (named volumes); `confirm` goes ahead. */
export function useMoveService() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (
      { id, host, dryRun }: { id: string; host: string; dryRun: boolean },
    ): Promise<MovePlan | Service> =>
      (await unwrap(api.POST("/api/services/{service_id}/move", {
        params: { path: { service_id: id } },
        body: { host, dry_run: dryRun, confirm: !dryRun },
      }))).data as MovePlan | Service,
    onSuccess: (_data, { dryRun }) => {
      if (!dryRun) void qc.invalidateQueries({ queryKey: ["services"] });
    },
  });
}
