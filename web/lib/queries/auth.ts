"use client";

import { useMutation } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { MfaChallenge, TokenRead } from "@/lib/api/types";
import { session, tokensFrom } from "@/lib/auth/session";
import { clearAllDrafts } from "@/lib/drafts";

/** Either a session (saved for the tab) or, for a user with two-factor login, the challenge of step two. */
export function useLogin() {
  return useMutation({
    mutationFn: async ({ username, password }: { username: string; password: string }) => {
      const body = (await unwrap(api.POST("/auth/login", { body: { username, password } }))).data;
      if ("mfa_required" in body && body.mfa_required) return body as MfaChallenge;
      session.save(tokensFrom(body as TokenRead, Date.now()));
      return body as TokenRead;
    },
  });
}

export function useLoginMfa() {
  return useMutation({
    mutationFn: async ({ mfa_token, code }: { mfa_token: string; code: string }) => {
      const body = (await unwrap(api.POST("/auth/login/mfa", { body: { mfa_token, code } }))).data;
      session.save(tokensFrom(body, Date.now()));
      return body;
    },
  });
}

export async function logout(): Promise<void> {
  try {
    if (session.loggedIn) await api.POST("/auth/logout");
  } catch {
    // already logged out on the server, or it is unreachable: forget the tokens here either way
  } finally {
    session.clear();
    clearAllDrafts(); // kept for a re-login after an expired session, not for whoever logs in next
  }
}
