"use client";

import { useMutation } from "@tanstack/react-query";

import { raw, rawJson } from "@/lib/api/client";
import { session, tokensFrom, type TokenResponse } from "@/lib/auth/session";

export function useLogin() {
  return useMutation({
    mutationFn: async ({ username, password }: { username: string; password: string }) => {
      const body = await rawJson<TokenResponse>("/auth/login", { method: "POST", json: { username, password } });
      session.save(tokensFrom(body, Date.now()));
      return body;
    },
  });
}

export async function logout(): Promise<void> {
  try {
    if (session.loggedIn) await raw("/auth/logout", { method: "POST" });
  } catch {
    // already logged out on the server, or it is unreachable: forget the tokens here either way
  } finally {
    session.clear();
  }
}
