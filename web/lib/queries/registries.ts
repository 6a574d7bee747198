"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { Registry, RegistryCreate, RegistryUpdate } from "@/lib/api/types";

const registriesKey = ["registries"] as const;

/** Stored registry credentials: server and user only, never the password or token. */
export function useRegistries() {
  return useQuery({
    queryKey: registriesKey,
    queryFn: async (): Promise<Registry[]> => (await unwrap(api.GET("/api/registries"))).data,
  });
}

export function useAddRegistry() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: RegistryCreate): Promise<Registry> => (await unwrap(api.POST("/api/registries", { body }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: registriesKey }),
  });
}

/** Replaces the user and secret of a registry; with `verify` the registry is asked first (a test of them). */
export function useReplaceRegistry() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: RegistryUpdate }): Promise<Registry> =>
      (await unwrap(api.PUT("/api/registries/{registry_id}", { params: { path: { registry_id: id } }, body }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: registriesKey }),
  });
}

export function useRemoveRegistry() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      (await unwrap(api.DELETE("/api/registries/{registry_id}", { params: { path: { registry_id: id } } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: registriesKey }),
  });
}
