"use client";

import { Upload } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input, Textarea } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import type { Host } from "@/lib/api/types";
import {
  createBody, EMPTY_HOST_FORM, labelsToText, updateBody, urlKind, validateHostForm, type HostFormErrors,
  type HostFormValues,
} from "@/lib/hosts";
import { useCreateHost, useUpdateHost } from "@/lib/queries/hosts";
import { toast } from "@/lib/toast";

/**
 * A PEM or key text: pasted, or read from a file in the browser. Write-only: sdmd never sends material back,
 * so when editing, an empty field keeps what is stored.
 */
function SecretText({ id, label, hint, value, onChange, error, placeholder }: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  placeholder: string;
}) {
  const load = async (file: File | undefined) => {
    if (file) onChange(await file.text());
  };
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <Textarea id={id} value={value} onChange={(e) => onChange(e.target.value)} rows={3} spellCheck={false}
        autoComplete="off" className="font-mono text-xs" placeholder={placeholder} aria-invalid={!!error} />
      <label className="inline-flex w-fit cursor-pointer items-center gap-1 text-xs text-primary hover:underline">
        <Upload className="h-3 w-3" aria-hidden /> Load from a file…
        <input type="file" className="sr-only" data-testid={`${id}-file`} onChange={(e) => void load(e.target.files?.[0])} />
      </label>
    </Field>
  );
}

export function HostFormDialog({ open, onOpenChange, host, onSaved }: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** the host to edit; none to add one */
  host?: Host | null;
  /** after a save: an SSH host with nothing pinned goes on to the test dialog */
  onSaved?: (host: Host) => void;
}) {
  const create = useCreateHost();
  const update = useUpdateHost();
  const mutation = host ? update : create;
  const [values, setValues] = useState<HostFormValues>(EMPTY_HOST_FORM);
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (!open) return;
    setValues(host ? { ...EMPTY_HOST_FORM, name: host.name, url: host.url, labels: labelsToText(host.labels) } : EMPTY_HOST_FORM);
    setTouched(false);
    create.reset();
    update.reset();
    // only when the dialog opens
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, host?.id]);

  const errors: HostFormErrors = touched ? validateHostForm(values, host) : {};
  const kind = urlKind(values.url);
  const set = (key: keyof HostFormValues) => (v: string) => setValues((old) => ({ ...old, [key]: v }));
  const keep = host ? " Leave empty to keep the stored one (it is never shown again)." : "";

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(validateHostForm(values, host)).length) return;
    try {
      const saved = host
        ? await update.mutateAsync({ id: host.id, body: updateBody(values, host) })
        : await create.mutateAsync(createBody(values));
      toast(host ? `Saved ${saved.name}` : `Added ${saved.name}`, { variant: "success" });
      onOpenChange(false);
      onSaved?.(saved);
    } catch {
      // shown in the dialog
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle>{host ? `Edit ${host.name}` : "Add a Docker host"}</DialogTitle>
          <DialogDescription>
            sdmd reaches the host through Docker&apos;s own remote API (no agent), and tests the connection before
            storing anything. Keys and certificates are kept on the server with mode 0600 and never shown again.
          </DialogDescription>
        </DialogHeader>
        <form className="grid gap-4 sm:grid-cols-2" onSubmit={submit} noValidate data-testid="host-form">
          <Field id="h-name" label="Name" hint="lowercase letters, digits, - and _; services name their host by it" error={errors.name}>
            <Input id="h-name" value={values.name} onChange={(e) => set("name")(e.target.value)} autoComplete="off"
              autoFocus placeholder="e.g. web1" aria-invalid={!!errors.name} />
          </Field>
          <Field id="h-url" label="URL" hint="ssh://user@host[:port], tcp://host:2376 (mutual TLS) or unix:///path" error={errors.url}>
            <Input id="h-url" value={values.url} onChange={(e) => set("url")(e.target.value)} autoComplete="off"
              spellCheck={false} placeholder="e.g. ssh://deploy@web1.example.com" aria-invalid={!!errors.url} />
          </Field>
          <Field id="h-labels" label="Labels (optional)" hint="one key=value a line, e.g. site=fra" error={errors.labels} className="sm:col-span-2">
            <Textarea id="h-labels" value={values.labels} onChange={(e) => set("labels")(e.target.value)} rows={2}
              spellCheck={false} aria-invalid={!!errors.labels} />
          </Field>
          {kind === "tcp" ? (
            <fieldset className="grid gap-4 sm:col-span-2 sm:grid-cols-3" data-testid="tls-fields">
              <legend className="mb-2 text-sm font-medium">Mutual TLS (PEM, what <span className="font-mono">docker --tlsverify</span> takes)</legend>
              <SecretText id="h-ca" label="CA certificate" hint={`the CA that signed the daemon's certificate.${keep}`}
                value={values.ca} onChange={set("ca")} error={errors.ca} placeholder="-----BEGIN CERTIFICATE-----" />
              <SecretText id="h-cert" label="Client certificate" hint="sdmd's certificate" value={values.cert}
                onChange={set("cert")} error={errors.cert} placeholder="-----BEGIN CERTIFICATE-----" />
              <SecretText id="h-key" label="Client key" hint="its private key, unencrypted" value={values.key}
                onChange={set("key")} error={errors.key} placeholder="-----BEGIN PRIVATE KEY-----" />
            </fieldset>
          ) : null}
          {kind === "ssh" ? (
            <>
              <SecretText id="h-ssh-key" label="SSH private key"
                hint={`unencrypted (OpenSSH or PEM); its public half goes into the host's authorized_keys.${keep}`}
                value={values.sshKey} onChange={set("sshKey")} error={errors.sshKey} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" />
              <Field id="h-fingerprint" label="Host key fingerprint (optional)"
                hint="SHA256:… as ssh-keygen -lf prints it on the host; without it, Test shows the key for you to confirm">
                <Input id="h-fingerprint" value={values.fingerprint} onChange={(e) => set("fingerprint")(e.target.value)}
                  autoComplete="off" spellCheck={false} className="font-mono text-xs" placeholder="SHA256:…" />
              </Field>
            </>
          ) : null}
          {kind === "unix" ? (
            <p className="text-xs text-muted-foreground sm:col-span-2">A unix socket on the machine sdmd runs on: no keys needed.</p>
          ) : null}
          {mutation.error ? <ErrorPanel error={mutation.error} className="sm:col-span-2" clearOnReconnect /> : null}
          <DialogFooter className="sm:col-span-2">
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" disabled={mutation.isPending} data-testid="host-submit">
              {mutation.isPending ? "Connecting…" : host ? "Save" : "Add host"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
