"use client";

import { type Query, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, rawJson, unwrap, withQuery } from "@/lib/api/client";
import type { DryRun, Service, UpdateJob } from "@/lib/api/types";
import { takeEarly } from "@/lib/early-fetch";
import { runOperation } from "@/lib/live/progress";
import { liveState } from "@/lib/live/state";
import { getQueryClient, reconnectInterval } from "@/lib/query-client";

export const serviceKeys = {
  all: ["services"] as const,
  one: (id: string) => ["services", id] as const,
  history: (id: string) => ["services", id, "history"] as const,
};

export const LIST_REFRESH_MS = 5_000;
/** live: changes are pushed while the tab's state stream is open (lib/live/state.ts); poll only without it. */
// A failed load is asked again even while the state stream is up: the stream pushes changes, not the
// list that never arrived.
const pollUnlessLive = (query: Pick<Query, "state">) =>
  reconnectInterval(query) || (liveState.connected() ? false : LIST_REFRESH_MS);

const fetchServices = async (): Promise<Service[]> =>
  (await takeEarly<Service[]>("/api/services")) ?? ((await unwrap(api.GET("/api/services"))).data as Service[]);

export function useServices() {
  return useQuery({ queryKey: serviceKeys.all, queryFn: fetchServices, refetchInterval: pollUnlessLive });
}

/** Starts loading the list as soon as the page's code runs, instead of after React has hydrated. */
export function prefetchServices(): void {
  if (typeof window === "undefined") return;
  void getQueryClient().prefetchQuery({ queryKey: serviceKeys.all, queryFn: fetchServices });
}

export interface ServiceWithEtag {
  service: Service;
  etag: string | null;
}

export function useService(id: string | null) {
  return useQuery({
    queryKey: serviceKeys.one(id ?? ""),
    enabled: !!id,
    queryFn: async (): Promise<ServiceWithEtag> => {
      const { data, response } = await unwrap(api.GET("/api/services/{service_id}", { params: { path: { service_id: id! } } }));
      const service = data as Service;
      const etag = response.headers.get("ETag") ?? (service.content_hash ? `"${service.content_hash}"` : null);
      return { service, etag };
    },
    refetchInterval: pollUnlessLive,
  });
}

export type Definition = { kind: "json"; body: Record<string, unknown> } | { kind: "yaml"; text: string; name?: string };

export function useCreateService() {
  const qc = useQueryClient();
  return useMutation({
    // live: a progress stream (compose's own steps in the progress panel), the same answer at the end
    mutationFn: async (def: Definition): Promise<Service> => {
      if (def.kind === "json") {
        const name = typeof def.body.name === "string" ? def.body.name : "service";
        return (await runOperation<Service>({ title: `Create ${name}`, path: "/api/services", method: "POST", json: def.body })).body;
      }
      return (await runOperation<Service>({
        title: `Create ${def.name ?? "service"}`, path: withQuery("/api/services", { name: def.name }), method: "POST",
        body: def.text, contentType: "application/yaml",
      })).body;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: serviceKeys.all }),
  });
}

/**
 * Saves compose text guarded by the ETag the editor loaded; a stale one gets 409 from sdmd. The answer
 * becomes the cached version at once (`cacheId` is the id the page loaded it by), so the page's ETag moves
 * forward with the save and a refresh that was already on its way cannot bring the old version back.
 */
export function useSaveCompose(id: string, cacheId: string = id) {
  const qc = useQueryClient();
  return useMutation({
    onMutate: () => qc.cancelQueries({ queryKey: serviceKeys.one(cacheId) }),
    mutationFn: async ({ text, etag }: { text: string; etag: string | null }): Promise<ServiceWithEtag> => {
      const result = await runOperation<Service>({
        title: "Save the compose file", path: `/api/services/${encodeURIComponent(id)}`, method: "PUT", body: text,
        contentType: "application/yaml", headers: etag ? { "If-Match": etag } : {},
      });
      const service = result.body;
      return { service, etag: result.headers.etag ?? (service.content_hash ? `"${service.content_hash}"` : null) };
    },
    onSuccess: (saved) => {
      qc.setQueryData<ServiceWithEtag>(serviceKeys.one(cacheId), saved);
      // Not awaited: the editor takes the saved version at once, before any refresh re-renders the page.
      void qc.invalidateQueries({ queryKey: serviceKeys.all, exact: true });
    },
  });
}

/**
 * The save preview (issue 17): the same PUT with `?dry_run=true` answers the text that would be written,
 * its diff from the current file and compose's warnings, writing nothing. A stale ETag is refused here
 * already (409), before anyone reads a diff against a file that moved on.
 */
export function usePreviewCompose(id: string) {
  return useMutation({
    mutationFn: ({ text, etag }: { text: string; etag: string | null }): Promise<DryRun> =>
      rawJson<DryRun>(`/api/services/${encodeURIComponent(id)}`, {
        method: "PUT", body: text, contentType: "application/yaml", query: { dry_run: true },
        headers: etag ? { "If-Match": etag } : {},
      }),
  });
}

/** A create's preview: the compose file sdmd would write for a form (JSON) or a YAML text. */
export function usePreviewCreate() {
  return useMutation({
    mutationFn: (def: Definition): Promise<DryRun> =>
      def.kind === "json"
        ? rawJson<DryRun>("/api/services", { method: "POST", json: def.body, query: { dry_run: true } })
        : rawJson<DryRun>("/api/services", {
          method: "POST", body: def.text, contentType: "application/yaml", query: { name: def.name, dry_run: true },
        }),
  });
}

/** The If-Match that saves exactly what a preview showed: the ETag of the file it was a diff against. */
export function previewEtag(preview: DryRun): string | null {
  return preview.base_hash ? `"${preview.base_hash}"` : null;
}

export function useDeleteService() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, volumes, name }: { id: string; volumes: boolean; name?: string }) =>
      (await runOperation<{ status: string; id: string }>({
        title: `Delete ${name ?? id}`, path: withQuery(`/api/services/${encodeURIComponent(id)}`, { volumes }), method: "DELETE",
      })).body,
    onSuccess: (_data, { id }) => {
      qc.removeQueries({ queryKey: serviceKeys.one(id) });
      void qc.invalidateQueries({ queryKey: ["schedules"] }); // its schedules went with it
      return qc.invalidateQueries({ queryKey: serviceKeys.all });
    },
  });
}

export function useRestartService() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (target: string | { id: string; name: string }) => {
      const { id, name } = typeof target === "string" ? { id: target, name: target } : target;
      return (await runOperation<Service>({
        title: `Restart ${name}`, path: `/api/services/${encodeURIComponent(id)}/restart`, method: "POST",
      })).body;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: serviceKeys.all }),
  });
}

/** Issue 4's "update now" (pull and recreate) or "check" (only look for a newer image). */
export function useUpdateService() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, mode, name }: { id: string; mode: "update" | "check"; name?: string }): Promise<UpdateJob> =>
      (await runOperation<UpdateJob>({
        title: `${mode === "check" ? "Check for an update of" : "Update"} ${name ?? id}`,
        path: withQuery(`/api/services/${encodeURIComponent(id)}/update`, { mode }), method: "POST",
      })).body,
    // A run changes the service, its schedules' last result and runs, and the audit log: show all of it.
    onSettled: () => Promise.all([
      qc.invalidateQueries({ queryKey: serviceKeys.all }),
      qc.invalidateQueries({ queryKey: ["schedules"] }),
      qc.invalidateQueries({ queryKey: ["audit"] }),
    ]),
  });
}

/** Issue 5: take over a compose project sdmd did not create. */
export function useAdoptProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ project, host }: { project: string; host: string }) =>
      (await unwrap(api.POST("/api/services/adopt", { body: { project, host } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: serviceKeys.all }),
  });
}

export function useApplyService() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (target: string | { id: string; name: string }) => {
      const { id, name } = typeof target === "string" ? { id: target, name: target } : target;
      return (await runOperation<Service>({
        title: `Apply the file of ${name}`, path: `/api/services/${encodeURIComponent(id)}/apply`, method: "POST",
      })).body;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: serviceKeys.all }),
  });
}

export type ServiceAction = "stop" | "start" | "pause" | "unpause";
export type ContainerAction = ServiceAction | "restart";

/** live: stop/start/pause/unpause a whole service, or one container (with restart), as progress streams. */
export function useLiveAction() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ service, action, container }: { service: Service; action: ContainerAction; container?: string }) => {
      const base = `/api/services/${encodeURIComponent(service.id)}`;
      const path = container ? `${base}/containers/${encodeURIComponent(container)}/${action}` : `${base}/${action}`;
      const verb = action.charAt(0).toUpperCase() + action.slice(1);
      return (await runOperation<Service>({ title: `${verb} ${container ?? service.name}`, path, method: "POST" })).body;
    },
    onSuccess: (service) => {
      qc.setQueryData(serviceKeys.one(service.id), (old: ServiceWithEtag | undefined) => (old ? { ...old, service } : old));
      return qc.invalidateQueries({ queryKey: serviceKeys.all });
    },
  });
}
