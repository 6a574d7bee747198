"use client";

import { ShieldAlert } from "lucide-react";
import { useSearchParams } from "next/navigation";

import { ErrorPanel } from "@/components/error-panel";
import { ApiTokensCard } from "@/components/security/api-tokens-card";
import { TwoFactorCard } from "@/components/security/two-factor-card";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Switch } from "@/components/ui/switch";
import { useMfaStatus, useSecuritySettings, useSetRequireMfa } from "@/lib/queries/security";

function RequireMfaCard({ mayEnable }: { mayEnable: boolean }) {
  const settings = useSecuritySettings();
  const set = useSetRequireMfa();
  const value = settings.data?.require_mfa ?? false;
  const forced = settings.data?.require_mfa_forced ?? false;
  return (
    <Card>
      <CardHeader>
        <CardTitle>Require two-factor login</CardTitle>
        <CardDescription>
          Everyone must log in with a code from an authenticator app. People without one are sent here to set it up
          before they can do anything else. API tokens made without two-factor login stop working.
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-3">
        <label className="flex items-center gap-3 text-sm" htmlFor="require-mfa">
          <Switch id="require-mfa" checked={value} disabled={!settings.data || forced || set.isPending || (!value && !mayEnable)}
            onCheckedChange={(on) => set.mutate(on)} data-testid="require-mfa" />
          {value ? "Required for everyone" : "Optional"}
        </label>
        {forced ? <p className="text-xs text-muted-foreground">Set by SDMD_REQUIRE_MFA on the server.</p> : null}
        {!value && !mayEnable ? (
          <p className="text-xs text-muted-foreground">Set up two-factor login for yourself first.</p>
        ) : null}
        {settings.error ? <ErrorPanel error={settings.error} /> : null}
        {set.error ? <ErrorPanel error={set.error} title="Could not change the setting" /> : null}
      </CardContent>
    </Card>
  );
}

export function SecurityPage() {
  const params = useSearchParams();
  const status = useMfaStatus();
  const enrolFirst = params.get("required") === "1" || (status.data?.required && !status.data.enabled);
  return (
    <div className="max-w-3xl space-y-4">
      <div>
        <h2 className="text-lg font-semibold">Security</h2>
        <p className="text-sm text-muted-foreground">Two-factor login, and API tokens for scripts and CI.</p>
      </div>
      {enrolFirst && !status.data?.enabled ? (
        <p role="status" data-testid="mfa-required-banner"
          className="flex items-start gap-2 rounded-md border border-warning/50 bg-warning/10 p-3 text-sm">
          <ShieldAlert className="mt-0.5 h-4 w-4 shrink-0" aria-hidden />
          Two-factor login is required on this sdmd. Set it up below to continue.
        </p>
      ) : null}
      <TwoFactorCard status={status} />
      <RequireMfaCard mayEnable={!!status.data?.enabled} />
      {status.data?.enabled || !status.data?.required ? <ApiTokensCard /> : null}
    </div>
  );
}
