"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { TokenRead } from "@/lib/api/types";
import { session, tokensFrom } from "@/lib/auth/session";

// Settings → Security: the caller's two-factor login, the require-2FA policy, API tokens.

export function useMfaStatus() {
  return useQuery({
    queryKey: ["security", "mfa"],
    queryFn: async () => (await unwrap(api.GET("/api/security/mfa"))).data,
    retry: false,
  });
}

export function useMfaEnrol() {
  return useMutation({ mutationFn: async () => (await unwrap(api.POST("/api/security/mfa/enrol"))).data });
}

/** Confirms the enrolment; this tab's session becomes aal2, so its new tokens replace the old ones. */
export function useMfaEnable() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { code: string; factor_id?: string | null }) => {
      const data = (await unwrap(api.POST("/api/security/mfa/enable", { body }))).data;
      session.save(tokensFrom(data.tokens as TokenRead, Date.now()));
      return data;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security"] }),
  });
}

export function useMfaDisable() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (code: string) => (await unwrap(api.POST("/api/security/mfa/disable", { body: { code } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security"] }),
  });
}

export function useRecoveryCodes() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (code: string) =>
      (await unwrap(api.POST("/api/security/mfa/recovery-codes", { body: { code } }))).data.recovery_codes,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security", "mfa"] }),
  });
}

export function useSecuritySettings() {
  return useQuery({
    queryKey: ["security", "settings"],
    queryFn: async () => (await unwrap(api.GET("/api/security/settings"))).data,
    retry: false,
  });
}

export function useSetRequireMfa() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (require_mfa: boolean) =>
      (await unwrap(api.PUT("/api/security/settings", { body: { require_mfa } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security"] }),
  });
}

export function useApiTokens() {
  return useQuery({
    queryKey: ["security", "tokens"],
    queryFn: async () => (await unwrap(api.GET("/api/security/tokens"))).data,
    retry: false,
  });
}

export function useCreateApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { name: string; expires_in_days?: number | null }) =>
      (await unwrap(api.POST("/api/security/tokens", { body }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security", "tokens"] }),
  });
}

export function useRevokeApiToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      (await unwrap(api.DELETE("/api/security/tokens/{token_id}", { params: { path: { token_id: id } } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["security", "tokens"] }),
  });
}
