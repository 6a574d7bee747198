"use client";

import { Copy, KeySquare, Trash2 } from "lucide-react";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { ConfirmDialog } from "@/components/confirm";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import type { ApiToken, ApiTokenCreated } from "@/lib/api/types";
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from "@/lib/queries/security";
import { toast } from "@/lib/toast";

const EXPIRY = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 0, label: "never" },
];

function when(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : "—";
}

function Created({ token }: { token: ApiTokenCreated }) {
  return (
    <div className="space-y-2 rounded-md border border-success/40 bg-success/5 p-3" data-testid="token-created">
      <p className="text-sm font-medium">Token “{token.name}” made. Copy it now: it is not shown again.</p>
      <p className="break-all rounded bg-muted p-2 font-mono text-xs" data-testid="token-secret">{token.token}</p>
      <Button variant="outline" size="sm" onClick={async () => {
        try {
          await navigator.clipboard.writeText(token.token);
          toast("Token copied", { variant: "success" });
        } catch {
          toast("Could not copy: select the token and copy it by hand", { variant: "error" });
        }
      }}><Copy aria-hidden /> Copy</Button>
      <p className="text-xs text-muted-foreground">Use it as <code>Authorization: Bearer &lt;token&gt;</code>.</p>
    </div>
  );
}

export function ApiTokensCard() {
  const tokens = useApiTokens();
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  const [name, setName] = useState("");
  const [days, setDays] = useState(90);
  const [confirm, setConfirm] = useState<ApiToken | null>(null);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    create.mutate({ name: name.trim(), expires_in_days: days || null }, { onSuccess: () => setName("") });
  };

  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2"><KeySquare className="h-4 w-4" aria-hidden /> API tokens</CardTitle>
        <CardDescription>
          Personal access tokens for scripts and CI: they act as you on the whole API and every audit record
          names the token. Only a hash is kept.
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <form className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_9rem_auto] sm:items-end" onSubmit={submit} data-testid="token-form">
          <Field id="token-name" label="Name">
            <Input id="token-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)}
              placeholder="ci deploy" autoComplete="off" data-testid="token-name" />
          </Field>
          <Field id="token-expiry" label="Expires after">
            <NativeSelect id="token-expiry" value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="token-expiry">
              {EXPIRY.map((o) => <option key={o.days} value={o.days}>{o.label}</option>)}
            </NativeSelect>
          </Field>
          <Button type="submit" disabled={create.isPending || !name.trim()} data-testid="token-create">Make token</Button>
        </form>
        {create.error ? <ErrorPanel error={create.error} title="Could not make the token" /> : null}
        {create.data ? <Created token={create.data} /> : null}

        {tokens.isPending ? <Skeleton className="h-16" /> : null}
        {tokens.error ? <ErrorPanel error={tokens.error} onRetry={() => tokens.refetch()} /> : null}
        {tokens.data && tokens.data.length === 0 ? <p className="text-sm text-muted-foreground">No tokens yet.</p> : null}
        {tokens.data && tokens.data.length ? (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="token-table">
              <thead className="text-xs text-muted-foreground">
                <tr><th className="py-1 pr-3 font-medium">Name</th><th className="py-1 pr-3 font-medium">Owner</th>
                  <th className="py-1 pr-3 font-medium">Last used</th><th className="py-1 pr-3 font-medium">Expires</th><th /></tr>
              </thead>
              <tbody>
                {tokens.data.map((t) => (
                  <tr key={t.id} className="border-t" data-testid="token-row">
                    <td className="py-2 pr-3 font-medium">{t.name}</td>
                    <td className="py-2 pr-3 text-muted-foreground">{t.owner_email ?? t.owner_id}</td>
                    <td className="py-2 pr-3 text-muted-foreground">{when(t.last_used_at)}</td>
                    <td className="py-2 pr-3 text-muted-foreground">{t.expires_at ? when(t.expires_at) : "never"}</td>
                    <td className="py-2 text-right">
                      <Button variant="ghost" size="sm" aria-label={`Revoke ${t.name}`} data-testid="token-revoke"
                        onClick={() => setConfirm(t)}><Trash2 aria-hidden /> Revoke</Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {revoke.error ? <ErrorPanel error={revoke.error} title="Could not revoke the token" /> : null}
        <ConfirmDialog open={!!confirm} onOpenChange={(o) => { if (!o) setConfirm(null); }} title="Revoke this token?"
          description={<p>Scripts using “{confirm?.name}” get 401 from now on. This cannot be undone.</p>}
          confirmLabel="Revoke" destructive busy={revoke.isPending}
          onConfirm={() => confirm && revoke.mutate(confirm.id, { onSuccess: () => setConfirm(null) })} />
      </CardContent>
    </Card>
  );
}
