"use client";

import { Pencil, Plug, Plus, Trash2 } from "lucide-react";
import Link from "next/link";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { Host } from "@/lib/api/types";
import { relativeTime } from "@/lib/format";
import { useDeleteHost, useHosts } from "@/lib/queries/hosts";
import { useServices } from "@/lib/queries/services";
import { toast } from "@/lib/toast";

import { HostFormDialog } from "./host-form";
import { HostStateBadge } from "./host-state";
import { HostTestDialog } from "./host-test";

function engineText(host: Host): string | null {
  const e = host.engine;
  if (!e?.version) return null;
  return `Docker ${e.version}${e.api_version ? ` (API ${e.api_version})` : ""}${e.os ? ` · ${e.os}/${e.arch ?? "?"}` : ""}`;
}

function HostRow({ host, onTest, onEdit, onRemove }: {
  host: Host;
  onTest: () => void;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const engine = engineText(host);
  const services = `/?host=${encodeURIComponent(host.name)}`;
  return (
    <li className="grid gap-2 border-b px-3 py-3 last:border-b-0 sm:grid-cols-[minmax(0,1fr)_auto] sm:items-start sm:px-4"
      data-testid="host-row" data-name={host.name} data-state={host.state}>
      <div className="min-w-0 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium" data-testid="host-name">{host.name}</span>
          <HostStateBadge state={host.state} error={host.last_error} />
          {host.local ? <Badge variant="outline">built-in</Badge> : null}
          <Badge variant="muted">{host.kind}</Badge>
          {Object.entries(host.labels ?? {}).map(([k, v]) => <Badge key={k} variant="outline" data-testid="host-label">{k}={v}</Badge>)}
        </div>
        <p className="break-all font-mono text-xs text-muted-foreground" data-testid="host-url">{host.url}</p>
        <p className="text-xs text-muted-foreground">
          <span data-testid="host-engine">{engine ?? "engine not known yet"}</span>
          {" · "}
          <Link href={services} className="text-primary hover:underline" data-testid="host-services">
            {host.services} service{host.services === 1 ? "" : "s"}
          </Link>
          {host.state_since ? <span data-testid="host-since"> · {host.state} since {relativeTime(host.state_since)}</span> : null}
        </p>
        {host.last_error && host.state !== "connected" ? (
          <p className="break-words text-xs text-destructive" data-testid="host-error">Last error: {host.last_error}</p>
        ) : null}
        {host.ssh ? (
          <p className="text-xs text-muted-foreground" data-testid="host-key">
            {host.ssh.host_key_pinned
              ? <>Host key pinned: <span className="font-mono">{host.ssh.host_keys.map((k) => k.fingerprint).join(", ")}</span></>
              : <>Host key not confirmed yet: Test shows it for you to check and pin.</>}
          </p>
        ) : null}
        {host.ssh?.public_key ? (
          <details className="text-xs text-muted-foreground">
            <summary className="cursor-pointer">sdmd&apos;s public key (for the host&apos;s authorized_keys)</summary>
            <code className="mt-1 block break-all rounded bg-muted p-2 font-mono" data-testid="host-public-key">{host.ssh.public_key}</code>
          </details>
        ) : null}
        {host.tls ? (
          <p className="text-xs text-muted-foreground">Client certificate {host.tls.subject}, valid until {new Date(host.tls.not_after).toLocaleDateString()}</p>
        ) : null}
      </div>
      <div className="flex flex-wrap gap-1 sm:justify-end">
        <Button variant="outline" size="sm" onClick={onTest} aria-label={`Test ${host.name}`} data-testid="host-test">
          <Plug aria-hidden /> Test
        </Button>
        {!host.local ? (
          <>
            <Button variant="ghost" size="sm" onClick={onEdit} aria-label={`Edit ${host.name}`} data-testid="host-edit"><Pencil aria-hidden /> Edit</Button>
            <Button variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove ${host.name}`} data-testid="host-remove"><Trash2 aria-hidden /> Remove</Button>
          </>
        ) : null}
      </div>
    </li>
  );
}

/** Remove, and after a 409 (services still name the host) the forced removal, said in plain words. */
function RemoveHostDialog({ host, onClose }: { host: Host | null; onClose: () => void }) {
  const remove = useDeleteHost();
  const [forceOffered, setForceOffered] = useState(false);
  const services = useServices().data?.filter((s) => s.managed && s.host === host?.name).map((s) => s.name) ?? [];
  const close = () => {
    setForceOffered(false);
    remove.reset();
    onClose();
  };
  const error = remove.error ? asApiError(remove.error) : null;
  const confirm = async () => {
    if (!host) return;
    try {
      const result = await remove.mutateAsync({ id: host.id, force: forceOffered });
      toast(`Removed ${host.name}`, {
        variant: "success",
        description: result.orphaned.length ? `Orphaned: ${result.orphaned.join(", ")}` : undefined,
      });
      close();
    } catch (exc) {
      if (asApiError(exc).status === 409) setForceOffered(true);
    }
  };
  return (
    <ConfirmDialog
      open={!!host}
      onOpenChange={(o) => { if (!o) close(); }}
      title={forceOffered ? `${host?.name} still has services` : `Remove ${host?.name}?`}
      description={forceOffered ? (
        <div className="space-y-2" data-testid="force-remove">
          <p>
            Their compose files name {host?.name}
            {services.length ? <>: <span className="font-mono" data-testid="host-service-names">{services.join(", ")}</span></> : null}.
            You can remove the host anyway and <strong>orphan its services</strong>:
          </p>
          <ul className="list-disc space-y-1 pl-5">
            <li>nothing on {host?.name} is touched: their containers keep running there;</li>
            <li>sdmd stops managing them: they show as &quot;host removed&quot;, and restart, update and the like are refused;</li>
            <li>their folders stay in git; adding a host named {host?.name} again brings them back.</li>
          </ul>
        </div>
      ) : (
        <p>sdmd forgets how to reach {host?.name} and deletes its stored keys and certificates. Nothing on the host itself is touched.</p>
      )}
      confirmLabel={forceOffered ? "Force: orphan its services and remove" : "Remove host"}
      destructive
      busy={remove.isPending}
      onConfirm={() => void confirm()}
    >
      {error && !(forceOffered && error.status === 409) ? <ErrorPanel error={error} /> : null}
    </ConfirmDialog>
  );
}

export function HostsPage() {
  const { data, error, refetch, isPending, dataUpdatedAt, isFetching } = useHosts();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Host | null>(null);
  const [testing, setTesting] = useState<Host | null>(null);
  const [removing, setRemoving] = useState<Host | null>(null);
  // A new SSH host has nothing pinned: go on to the test, which shows its key to confirm.
  const saved = (host: Host) => {
    if (host.kind === "ssh" && !host.ssh?.host_key_pinned) setTesting(host);
  };
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">Hosts</h1>
          <p className="text-sm text-muted-foreground">
            The Docker engines sdmd manages services on, reached over SSH or TCP with mutual TLS. A service&apos;s host is
            written in its compose.yaml (<span className="font-mono">x-sdmd.host</span>).
          </p>
        </div>
        <Button onClick={() => setAdding(true)} data-testid="add-host"><Plus aria-hidden /> Add host</Button>
      </div>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-32" /> : data ? (
        <Card>
          <ul aria-label="Hosts" data-testid="host-list">
            {data.map((h) => (
              <HostRow key={h.id} host={h} onTest={() => setTesting(h)} onEdit={() => setEditing(h)} onRemove={() => setRemoving(h)} />
            ))}
          </ul>
        </Card>
      ) : null}
      <HostFormDialog open={adding} onOpenChange={setAdding} onSaved={saved} />
      <HostFormDialog open={!!editing} onOpenChange={(o) => { if (!o) setEditing(null); }} host={editing} onSaved={saved} />
      <HostTestDialog host={testing} onClose={() => setTesting(null)} />
      {/* Mounted while open only: it reads the services list to name what a forced removal orphans. */}
      {removing ? <RemoveHostDialog host={removing} onClose={() => setRemoving(null)} /> : null}
    </div>
  );
}
