"use client";

import { Boxes } from "lucide-react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { MfaLoginStep } from "@/components/security/mfa-login-step";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { isMissingEndpoint } from "@/lib/api/missing";
import type { MfaChallenge, TokenRead } from "@/lib/api/types";
import { useLogin } from "@/lib/queries/auth";

const REASONS: Record<string, string> = {
  expired: "Your session has expired. Please log in again.",
  required: "Please log in to continue.",
  logged_out: "You are logged out.",
};

function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/";
}

export function LoginForm() {
  const params = useSearchParams();
  const router = useRouter();
  const login = useLogin();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const reason = REASONS[params.get("reason") ?? ""];

  // Someone who must enrol in two-factor login goes to Settings → Security first.
  const done = (tokens: TokenRead) =>
    router.replace(tokens.mfa_enrolment_required ? "/settings/security/?required=1" : safeNext(params.get("next")));

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const result = await login.mutateAsync({ username: username.trim(), password });
      if ("mfa_required" in result) setChallenge(result);
      else done(result);
    } catch {
      // shown below
    }
  };

  return (
    <div className="mx-auto mt-8 max-w-sm sm:mt-16">
      <Card>
        <CardHeader className="items-center text-center">
          <Boxes className="h-8 w-8 text-primary" aria-hidden />
          <CardTitle className="text-xl">Log in to sdmd</CardTitle>
          <CardDescription>Manage the services on this Docker host.</CardDescription>
        </CardHeader>
        <CardContent>
          {reason ? <p role="status" className="mb-4 rounded-md border bg-muted p-2 text-sm" data-testid="login-reason">{reason}</p> : null}
          {challenge ? (
            <MfaLoginStep challenge={challenge} onDone={done} onCancel={() => { setChallenge(null); setPassword(""); }} />
          ) : <form className="grid gap-4" onSubmit={submit} data-testid="login-form">
            <Field id="username" label="Email or username">
              <Input id="username" name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
            </Field>
            <Field id="password" label="Password">
              <Input id="password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </Field>
            {login.error ? (
              isMissingEndpoint(login.error) ? (
                <p className="rounded-md border border-dashed p-3 text-sm" role="alert">
                  This sdmd has no login yet. <a className="text-primary underline" href="/">Continue to the dashboard</a>.
                </p>
              ) : <ErrorPanel error={login.error} title="Could not log in" />
            ) : null}
            <Button type="submit" disabled={login.isPending || !username || !password} data-testid="login-submit">
              {login.isPending ? "Logging in…" : "Log in"}
            </Button>
          </form>}
        </CardContent>
      </Card>
    </div>
  );
}
