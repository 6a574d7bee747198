"use client";

import { useMutation } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { session, tokensFrom } from "@/lib/auth/session";
import { clearAllDrafts } from "@/lib/drafts";

export function useLogin() {
  return useMutation({
    mutationFn: async ({ username, password }: { username: string; password: string }) => {
      const body = (await unwrap(api.POST("/auth/login", { body: { username, password } }))).data;
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
