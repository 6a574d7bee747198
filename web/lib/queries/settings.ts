"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { About, Account, AccountWithPassword } from "@/lib/api/types";

const usersKey = ["users"] as const;

export function useUsers() {
  return useQuery({
    queryKey: usersKey,
    queryFn: async (): Promise<Account[]> => (await unwrap(api.GET("/api/users"))).data,
    retry: false,
  });
}

export function useAddUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { email: string; password?: string }): Promise<AccountWithPassword> =>
      (await unwrap(api.POST("/api/users", { body }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }),
  });
}

export function useResetPassword() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, password }: { id: string; password?: string }): Promise<AccountWithPassword> =>
      (await unwrap(api.POST("/api/users/{user_id}/password", { params: { path: { user_id: id } }, body: { password } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }),
  });
}

export function useRemoveUser() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => (await unwrap(api.DELETE("/api/users/{user_id}", { params: { path: { user_id: id } } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: usersKey }),
  });
}

export function useAbout() {
  return useQuery({
    queryKey: ["about"],
    queryFn: async (): Promise<About> => (await unwrap(api.GET("/api/about"))).data,
    staleTime: 60_000,
  });
}
