"use client";

import { CircleCheck, CircleX, KeyRound } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { Host, HostTestResult } from "@/lib/api/types";
import { useTestHost } from "@/lib/queries/hosts";
import { toast } from "@/lib/toast";

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="grid grid-cols-[9rem_minmax(0,1fr)] gap-2 py-1 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="break-words" data-testid={testId}>{children}</dd>
    </div>
  );
}

function Report({ result }: { result: HostTestResult }) {
  // The API's advice for an unpinned key is for API callers; the pin panel below says it for people.
  const advice = result.host_key && !result.host_key.pinned ? null : result.error;
  const e = result.engine;
  const c = result.compose;
  return (
    <div className="space-y-2" data-testid="host-test-report" data-ok={result.ok}>
      <p className="flex items-center gap-2 font-medium">
        {result.ok ? <CircleCheck className="h-4 w-4 text-success" aria-hidden /> : <CircleX className="h-4 w-4 text-destructive" aria-hidden />}
        {result.ok ? `${result.host} works: sdmd can run services there.` : `${result.host} is not usable yet.`}
      </p>
      {advice ? <p className="text-sm" data-testid="host-test-error">{advice}</p> : null}
      {e ? (
        <dl className="divide-y rounded-md border px-3">
          <Row label="Docker engine" testId="test-engine-version">{e.version ?? "?"}</Row>
          <Row label="API version">{e.api_version ?? "?"}</Row>
          <Row label="OS / arch">{[e.os, e.arch].filter(Boolean).join("/") || "?"}{e.kernel ? ` (kernel ${e.kernel})` : ""}</Row>
          {result.latency_ms != null ? <Row label="Round trip">{result.latency_ms.toFixed(1)} ms</Row> : null}
          {c ? (
            <Row label="Compose" testId="test-compose">
              {c.ok ? `works (${c.version ?? "?"}${c.projects != null ? `, ${c.projects} project${c.projects === 1 ? "" : "s"} there` : ""})`
                : `does not work: ${c.error ?? "unknown error"}`}
            </Row>
          ) : null}
        </dl>
      ) : null}
    </div>
  );
}

/** The host key to confirm: shown in full with how to check it; pinned only after an explicit confirmation. */
function PinKey({ result, busy, onPin }: { result: HostTestResult; busy: boolean; onPin: (fingerprint: string) => void }) {
  const key = result.host_key!;
  const [checked, setChecked] = useState(false);
  return (
    <div className="space-y-3 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm" data-testid="pin-panel">
      <p className="flex items-center gap-2 font-medium"><KeyRound className="h-4 w-4" aria-hidden /> Confirm the host key of {result.host}</p>
      <p>The host presents this {key.type} key. sdmd connects only once you confirm it is really that host&apos;s:</p>
      <code className="block break-all rounded bg-background p-2 font-mono text-xs" data-testid="host-fingerprint">{key.fingerprint}</code>
      {key.keys.length > 1 ? (
        <p className="text-xs text-muted-foreground">All its keys (pinned together): {key.keys.map((k) => `${k.type} ${k.fingerprint}`).join(", ")}</p>
      ) : null}
      <p className="text-xs text-muted-foreground">
        Compare on the host itself, e.g. <span className="font-mono">ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</span>.
        Once pinned, a host presenting another key is refused.
      </p>
      <label className="flex items-start gap-2">
        <input type="checkbox" className="mt-0.5" checked={checked} onChange={(e) => setChecked(e.target.checked)} data-testid="pin-checked" />
        I compared it: this is the fingerprint of {result.host}&apos;s host key.
      </label>
      <Button size="sm" disabled={!checked || busy} onClick={() => onPin(key.fingerprint)} data-testid="pin-key">
        {busy ? "Pinning…" : "Trust and pin this key"}
      </Button>
    </div>
  );
}

/** After "host key changed": trusting another key needs its fingerprint, typed or pasted after checking it. */
function ReplaceKey({ busy, onReplace }: { busy: boolean; onReplace: (fingerprint: string) => void }) {
  const [fingerprint, setFingerprint] = useState("");
  return (
    <form className="space-y-2 rounded-md border p-3 text-sm" data-testid="replace-panel"
      onSubmit={(e) => { e.preventDefault(); if (fingerprint.trim()) onReplace(fingerprint.trim()); }}>
      <p>If the host was reinstalled, check its new key there and enter its fingerprint to trust it instead of the old one.</p>
      <Field id="replace-fingerprint" label="New host key fingerprint">
        <Input id="replace-fingerprint" value={fingerprint} onChange={(e) => setFingerprint(e.target.value)}
          className="font-mono text-xs" placeholder="SHA256:…" autoComplete="off" spellCheck={false} />
      </Field>
      <Button type="submit" size="sm" variant="destructive" disabled={!fingerprint.trim() || busy}>Replace the pinned key</Button>
    </form>
  );
}

export function HostTestDialog({ host, onClose }: { host: Host | null; onClose: () => void }) {
  const test = useTestHost();
  const [result, setResult] = useState<HostTestResult | null>(null);

  const run = async (fingerprint?: string, replace?: boolean) => {
    if (!host) return;
    try {
      const r = await test.mutateAsync({ id: host.id, fingerprint, replace });
      setResult(r);
      if (r.host_key?.pinned_now) toast(`Pinned the host key of ${host.name}`, { variant: "success" });
    } catch {
      setResult(null);
    }
  };

  useEffect(() => {
    setResult(null);
    test.reset();
    if (host) void run();
    // once per host the dialog opens for
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [host?.id]);

  const error = test.error ? asApiError(test.error) : null;
  const keyChanged = error?.status === 409 && error.message === "host key changed";
  const needsPin = !!result?.host_key && !result.host_key.pinned;

  return (
    <Dialog open={!!host} onOpenChange={(o) => { if (!o) onClose(); }}>
      <DialogContent className="max-w-xl">
        <DialogHeader>
          <DialogTitle>Test {host?.name}</DialogTitle>
          <DialogDescription className="break-all font-mono text-xs">{host?.url}</DialogDescription>
        </DialogHeader>
        <div aria-live="polite" className="space-y-3">
          {test.isPending && !result ? <Skeleton className="h-32" aria-label="Testing the connection" /> : null}
          {result ? <Report result={result} /> : null}
          {result && needsPin ? <PinKey key={result.host_key!.fingerprint} result={result} busy={test.isPending} onPin={(f) => void run(f)} /> : null}
          {result?.host_key?.pinned && !needsPin ? (
            <p className="text-xs text-muted-foreground" data-testid="pinned-key">
              Host key pinned: <span className="font-mono">{result.host_key.fingerprint}</span>
            </p>
          ) : null}
          {error ? <ErrorPanel error={error} title={keyChanged ? "The host key changed: refused" : undefined} clearOnReconnect /> : null}
          {keyChanged ? <ReplaceKey busy={test.isPending} onReplace={(f) => void run(f, true)} /> : null}
        </div>
        <DialogFooter>
          <Button variant="outline" onClick={() => void run()} disabled={test.isPending} data-testid="test-again">
            {test.isPending ? "Testing…" : "Test again"}
          </Button>
          <Button onClick={onClose}>Close</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
