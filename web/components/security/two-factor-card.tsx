"use client";

import type { UseQueryResult } from "@tanstack/react-query";
import { CheckCircle2, Copy, ShieldCheck } from "lucide-react";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import type { MfaEnrolment, MfaStatus } from "@/lib/api/types";
import { useMfaDisable, useMfaEnable, useMfaEnrol, useRecoveryCodes } from "@/lib/queries/security";
import { toast } from "@/lib/toast";

async function copy(text: string, what: string) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`, { variant: "success" });
  } catch {
    toast(`Could not copy: select the ${what.toLowerCase()} and copy it by hand`, { variant: "error" });
  }
}

export function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="space-y-2 rounded-md border bg-muted/50 p-3" data-testid="recovery-codes">
      <p className="text-sm font-medium">Recovery codes</p>
      <p className="text-xs text-muted-foreground">
        Keep them somewhere safe, away from your phone. Each logs you in once if you lose the authenticator.
        They are shown only now.
      </p>
      <ol className="grid grid-cols-2 gap-1 font-mono text-sm sm:grid-cols-5">
        {codes.map((c) => <li key={c} data-testid="recovery-code">{c}</li>)}
      </ol>
      <Button variant="outline" size="sm" onClick={() => copy(codes.join("\n"), "Recovery codes")}>
        <Copy aria-hidden /> Copy
      </Button>
    </div>
  );
}

function CodeForm({ label, submitLabel, busy, onSubmit, destructive, testid }: {
  label: string;
  submitLabel: string;
  busy: boolean;
  onSubmit: (code: string) => void;
  destructive?: boolean;
  testid: string;
}) {
  const [code, setCode] = useState("");
  return (
    <form className="flex flex-wrap items-end gap-2" data-testid={testid}
      onSubmit={(e) => { e.preventDefault(); if (code.trim()) onSubmit(code.trim()); setCode(""); }}>
      <Field id={`${testid}-code`} label={label} className="w-48">
        <Input id={`${testid}-code`} autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)}
          placeholder="123456" data-testid={`${testid}-code`} />
      </Field>
      <Button type="submit" variant={destructive ? "destructive" : "default"} disabled={busy || !code.trim()}
        data-testid={`${testid}-submit`}>
        {busy ? "Working…" : submitLabel}
      </Button>
    </form>
  );
}

function Enrolling({ enrolment, onCancel }: { enrolment: MfaEnrolment; onCancel: () => void }) {
  const enable = useMfaEnable();
  if (enable.data) {
    return (
      <div className="space-y-3">
        <p className="flex items-center gap-2 text-sm text-success" data-testid="mfa-enabled">
          <CheckCircle2 className="h-4 w-4" aria-hidden /> Two-factor login is on.
        </p>
        {enable.data.recovery_codes.length ? <RecoveryCodes codes={enable.data.recovery_codes} /> : null}
        <Button variant="outline" size="sm" onClick={onCancel} data-testid="mfa-done">Done</Button>
      </div>
    );
  }
  return (
    <div className="space-y-4" data-testid="mfa-enrolment">
      <ol className="list-decimal space-y-1 pl-5 text-sm">
        <li>Scan the QR code with an authenticator app (or type the key into it).</li>
        <li>Enter the 6-digit code it shows.</li>
      </ol>
      <div className="flex flex-wrap items-start gap-4">
        <img src={enrolment.qr_svg} alt="QR code for the authenticator app" width={200} height={200}
          className="rounded border bg-white p-1" data-testid="mfa-qr" />
        <div className="min-w-0 flex-1 space-y-1 text-sm">
          <p className="font-medium">Key</p>
          <p className="break-all font-mono text-xs" data-testid="mfa-secret">{enrolment.secret}</p>
          <Button variant="outline" size="sm" onClick={() => copy(enrolment.secret, "Key")}><Copy aria-hidden /> Copy</Button>
        </div>
      </div>
      <CodeForm label="Code from the app" submitLabel="Turn on" busy={enable.isPending} testid="mfa-enable"
        onSubmit={(code) => enable.mutate({ code, factor_id: enrolment.factor_id })} />
      {enable.error ? <ErrorPanel error={enable.error} title="Could not turn on two-factor login" /> : null}
      <Button variant="ghost" size="sm" onClick={onCancel}>Cancel</Button>
    </div>
  );
}

export function TwoFactorCard({ status }: { status: UseQueryResult<MfaStatus> }) {
  const enrol = useMfaEnrol();
  const disable = useMfaDisable();
  const regenerate = useRecoveryCodes();
  const [enrolment, setEnrolment] = useState<MfaEnrolment | null>(null);
  const s = status.data;

  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <ShieldCheck className="h-4 w-4" aria-hidden /> Two-factor login
          {s ? <Badge variant={s.enabled ? "success" : "outline"} data-testid="mfa-state">{s.enabled ? "on" : "off"}</Badge> : null}
        </CardTitle>
        <CardDescription>A code from an authenticator app (TOTP) on top of your password.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {status.isPending ? <Skeleton className="h-16" /> : null}
        {status.error ? <ErrorPanel error={status.error} onRetry={() => status.refetch()} /> : null}
        {s && !s.enabled && !enrolment ? (
          <div className="space-y-2">
            <Button data-testid="mfa-start" disabled={enrol.isPending}
              onClick={async () => { try { setEnrolment(await enrol.mutateAsync()); } catch { /* shown below */ } }}>
              Set up two-factor login
            </Button>
            {enrol.error ? <ErrorPanel error={enrol.error} /> : null}
          </div>
        ) : null}
        {enrolment && !(s?.enabled && !enrolment) ? (
          <Enrolling enrolment={enrolment} onCancel={() => setEnrolment(null)} />
        ) : null}
        {s?.enabled && !enrolment ? (
          <div className="space-y-4">
            <p className="text-sm text-muted-foreground">
              On since {s.enabled_at ? new Date(s.enabled_at).toLocaleString() : "—"}.
              {s.managed_by === "sdmd" ? ` ${s.recovery_codes_left} of 10 recovery codes left.` : " Managed by Supabase Auth."}
            </p>
            {s.managed_by === "sdmd" ? (
              <>
                <CodeForm label="Current code" submitLabel="New recovery codes" busy={regenerate.isPending}
                  testid="mfa-regenerate" onSubmit={(code) => regenerate.mutate(code)} />
                {regenerate.error ? <ErrorPanel error={regenerate.error} /> : null}
                {regenerate.data ? <RecoveryCodes codes={regenerate.data} /> : null}
              </>
            ) : null}
            {s.required ? (
              <p className="text-xs text-muted-foreground">Two-factor login is required here, so it cannot be turned off.</p>
            ) : (
              <>
                <CodeForm label="Code to turn it off" submitLabel="Turn off" destructive busy={disable.isPending}
                  testid="mfa-disable" onSubmit={(code) => disable.mutate(code)} />
                {disable.error ? <ErrorPanel error={disable.error} /> : null}
              </>
            )}
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}
