"use client";

import { KeyRound } from "lucide-react";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import type { MfaChallenge, TokenRead } from "@/lib/api/types";
import { useLoginMfa } from "@/lib/queries/auth";

/** The login's second step: a code from the authenticator app, or one of the recovery codes. */
export function MfaLoginStep({ challenge, onDone, onCancel }: {
  challenge: MfaChallenge;
  onDone: (tokens: TokenRead) => void;
  onCancel: () => void;
}) {
  const login = useLoginMfa();
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState(false);
  const canRecover = challenge.methods.includes("recovery_code");

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    try {
      onDone(await login.mutateAsync({ mfa_token: challenge.mfa_token, code: code.trim() }));
    } catch {
      setCode("");
    }
  };

  return (
    <form className="grid gap-4" onSubmit={submit} data-testid="mfa-form">
      <p className="flex items-start gap-2 text-sm text-muted-foreground">
        <KeyRound className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
        {recovery ? "Enter one of your recovery codes. Each works once." : "Enter the 6-digit code from your authenticator app."}
      </p>
      <Field id="mfa-code" label={recovery ? "Recovery code" : "Code"}>
        <Input
          id="mfa-code"
          name="code"
          autoComplete="one-time-code"
          inputMode={recovery ? "text" : "numeric"}
          pattern={recovery ? undefined : "[0-9 ]{6,7}"}
          placeholder={recovery ? "xxxx-xxxx-xxxx" : "123456"}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          required
          autoFocus
          data-testid="mfa-code"
        />
      </Field>
      {login.error ? <ErrorPanel error={login.error} title="Could not log in" /> : null}
      <Button type="submit" disabled={login.isPending || !code.trim()} data-testid="mfa-submit">
        {login.isPending ? "Checking…" : "Verify"}
      </Button>
      <div className="flex justify-between text-sm">
        <button type="button" className="text-muted-foreground underline-offset-4 hover:underline" onClick={onCancel}>
          Back
        </button>
        {canRecover ? (
          <button type="button" className="text-primary underline-offset-4 hover:underline" data-testid="mfa-use-recovery"
            onClick={() => { setRecovery((r) => !r); setCode(""); }}>
            {recovery ? "Use the authenticator app" : "Use a recovery code"}
          </button>
        ) : null}
      </div>
    </form>
  );
}
