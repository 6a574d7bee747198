"use client";

import { KeyRound, Plus, Trash2 } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { Registry } from "@/lib/api/types";
import { relativeTime } from "@/lib/format";
import { useAddRegistry, useRegistries, useRemoveRegistry, useReplaceRegistry } from "@/lib/queries/registries";
import { toast } from "@/lib/toast";

type SecretKind = "password" | "token";

/** A refused login or an unreachable registry: the API's details name the registry and user, so they show in full. */
function CredentialsError({ error }: { error: unknown }) {
  const e = asApiError(error);
  return (
    <ErrorPanel error={error} clearOnReconnect>
      {e.details && (e.status === 422 || e.status === 502) ? <p className="break-words" data-testid="registry-error-detail">{e.details}</p> : null}
    </ErrorPanel>
  );
}

/**
 * Add credentials, or replace those of `registry`. The secret is write-only: sdmd never sends it back, so
 * replacing means typing it again. With "test" on, sdmd logs in to the registry first and stores nothing
 * the registry refuses.
 */
function CredentialsDialog({ registry, open, onOpenChange }: {
  registry: Registry | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const add = useAddRegistry();
  const replace = useReplaceRegistry();
  const mutation = registry ? replace : add;
  const [server, setServer] = useState("");
  const [username, setUsername] = useState(registry?.username ?? "");
  const [kind, setKind] = useState<SecretKind>(registry?.secret_kind ?? "password");
  const [secret, setSecret] = useState("");
  const [verify, setVerify] = useState(true);
  const [touched, setTouched] = useState(false);
  const problems = {
    server: !registry && !server.trim() ? "the registry's host, e.g. ghcr.io or registry.example.com:5000" : null,
    username: !username.trim() ? "a user name is required" : null,
    secret: !secret ? `the ${kind === "token" ? "token" : "password"} is required` : null,
  };
  const show = (p: string | null) => (touched ? p : null);

  const close = (o: boolean) => {
    if (!o) {
      add.reset();
      replace.reset();
    }
    onOpenChange(o);
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problems.server || problems.username || problems.secret) return;
    const credentials = { username: username.trim(), verify, ...(kind === "token" ? { token: secret } : { password: secret }) };
    try {
      const saved = registry
        ? await replace.mutateAsync({ id: registry.id, body: credentials })
        : await add.mutateAsync({ server: server.trim(), ...credentials });
      setSecret("");
      toast(registry ? `Replaced the credentials for ${saved.server}` : `Added ${saved.server}`, {
        variant: "success", description: verify ? `${saved.server} accepted user ${saved.username}.` : "Stored without testing them.",
      });
      close(false);
    } catch {
      // shown below; the secret stays typed so a typo can be fixed
    }
  };

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{registry ? `Credentials for ${registry.server}` : "Add a registry"}</DialogTitle>
          <DialogDescription>
            Used for pulls, digest checks and tag lists of its images on every host: no docker login needed.
            {registry ? " sdmd never shows the stored secret: type it again to replace or test it." : ""}
          </DialogDescription>
        </DialogHeader>
        <form className="space-y-4" onSubmit={submit} noValidate data-testid="registry-form">
          {registry ? null : (
            <Field id="r-server" label="Server" hint="Host and port, e.g. ghcr.io or registry.example.com:5000 (a URL is fine)" error={show(problems.server)}>
              <Input id="r-server" value={server} onChange={(e) => setServer(e.target.value)} autoComplete="off" autoFocus
                spellCheck={false} aria-invalid={!!show(problems.server)} />
            </Field>
          )}
          <Field id="r-username" label="User" error={show(problems.username)}>
            <Input id="r-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off"
              spellCheck={false} autoFocus={!!registry} aria-invalid={!!show(problems.username)} />
          </Field>
          <fieldset className="space-y-1.5">
            <legend className="text-sm font-medium">Secret</legend>
            <div className="flex gap-4 text-sm">
              {(["password", "token"] as const).map((k) => (
                <label key={k} className="flex items-center gap-1.5">
                  <input type="radio" name="r-kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
                  {k === "password" ? "Password" : "Access token"}
                </label>
              ))}
            </div>
          </fieldset>
          <Field id="r-secret" label={kind === "token" ? "Token" : "Password"}
            hint="Encrypted at rest; never shown again, logged or audited" error={show(problems.secret)}>
            <Input id="r-secret" type="password" value={secret} onChange={(e) => setSecret(e.target.value)}
              autoComplete="new-password" aria-invalid={!!show(problems.secret)} />
          </Field>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.target.checked)} data-testid="registry-verify" />
            Test the login with the registry before saving
          </label>
          {mutation.error ? <CredentialsError error={mutation.error} /> : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => close(false)}>Cancel</Button>
            <Button type="submit" disabled={mutation.isPending} data-testid="registry-submit">
              {mutation.isPending ? (verify ? "Testing…" : "Saving…") : verify ? "Test and save" : "Save without testing"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function RegistriesPage() {
  const { data, error, refetch, isPending, dataUpdatedAt } = useRegistries();
  const remove = useRemoveRegistry();
  const [editing, setEditing] = useState<Registry | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [dialogKey, setDialogKey] = useState(0);
  const [removing, setRemoving] = useState<Registry | null>(null);
  const openDialog = (registry: Registry | null) => {
    setEditing(registry);
    setDialogKey((k) => k + 1); // a fresh form each time: no secret lingers from the last one
    setDialogOpen(true);
  };

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 className="text-lg font-semibold">Registries</h2>
          <p className="text-sm text-muted-foreground">Credentials for private registries. Public images need none.</p>
        </div>
        <Button onClick={() => openDialog(null)} disabled={!data} data-testid="add-registry"><Plus aria-hidden /> Add registry</Button>
      </div>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-24" /> : !data ? null : !data.length ? (
        <p className="rounded-md border p-4 text-sm text-muted-foreground" data-testid="no-registries">
          No credentials stored: sdmd pulls and checks anonymously.
        </p>
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="registries">
            <caption className="sr-only">Registries with stored credentials</caption>
            <thead className="border-b text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Server</th>
                <th scope="col" className="px-3 py-2 font-medium">User</th>
                <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">Changed</th>
                <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {data.map((r) => (
                <tr key={r.id} className="border-b last:border-b-0" data-testid="registry-row" data-server={r.server}>
                  <td className="px-3 py-2 font-mono text-xs break-all">{r.server}</td>
                  <td className="px-3 py-2">
                    <span className="break-all" data-testid="registry-user">{r.username}</span>
                    <Badge variant="muted" className="ml-2">{r.secret_kind === "token" ? "token" : "password"}</Badge>
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell" title={new Date(r.updated_at).toLocaleString()}>{relativeTime(r.updated_at)}</td>
                  <td className="whitespace-nowrap px-3 py-2 text-right">
                    <Button variant="ghost" size="sm" onClick={() => openDialog(r)} data-testid="edit-registry">
                      <KeyRound aria-hidden /> <span className="hidden sm:inline">Replace or test</span>
                    </Button>
                    <Button variant="ghost" size="sm" onClick={() => setRemoving(r)} aria-label={`Remove ${r.server}`} data-testid="remove-registry">
                      <Trash2 aria-hidden />
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}

      <CredentialsDialog key={dialogKey} registry={editing} open={dialogOpen} onOpenChange={setDialogOpen} />
      <ConfirmDialog
        open={!!removing}
        onOpenChange={(o) => { if (!o) { setRemoving(null); remove.reset(); } }}
        title={`Remove the credentials for ${removing?.server ?? ""}?`}
        description={<p>Pulls and checks of its images go anonymous again; a private image then fails to update.</p>}
        confirmLabel="Remove"
        destructive
        busy={remove.isPending}
        onConfirm={async () => {
          if (!removing) return;
          try {
            await remove.mutateAsync(removing.id);
            toast(`Removed the credentials for ${removing.server}`, { variant: "success" });
            setRemoving(null);
          } catch {
            // shown in the dialog
          }
        }}
      >
        {remove.error ? <ErrorPanel error={remove.error} clearOnReconnect /> : null}
      </ConfirmDialog>
    </div>
  );
}
