"use client";

import { Activity, CheckCircle2, ChevronDown, ChevronUp, Loader2, Pin, PinOff, Trash2, X, XCircle } from "lucide-react";
import { useEffect, useState, useSyncExternalStore } from "react";

import { Button } from "@/components/ui/button";
import { layerFraction, progressStore, summarize, type Operation } from "@/lib/live/progress";
import { cn } from "@/lib/utils";

const PIN_KEY = "sdmd.progress.pinned";
const AUTO_CLOSE_MS = 6000;

const STATUS_TONE: Record<string, string> = {
  Started: "text-success", Running: "text-success", Healthy: "text-success", Created: "text-success",
  Recreated: "text-success", Removed: "text-muted-foreground", Stopped: "text-muted-foreground", Pulled: "text-success",
};

function fmtBytes(n: number | null): string {
  if (!n) return "0 B";
  const units = ["B", "kB", "MB", "GB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 && i ? 1 : 0)} ${units[i]}`;
}

function OperationView({ op, expanded, onToggle }: { op: Operation; expanded: boolean; onToggle: () => void }) {
  const summary = summarize(op.events);
  const fraction = layerFraction(summary.layers);
  const Icon = op.state === "running" ? Loader2 : op.state === "ok" ? CheckCircle2 : XCircle;
  return (
    <li className="border-b last:border-b-0" data-testid="progress-op" data-state={op.state} data-title={op.title}
      data-first-event-ms={op.firstEventMs ?? ""} data-finished-ms={op.finishedMs ?? ""}>
      <button type="button" onClick={onToggle} aria-expanded={expanded}
        className="flex w-full items-center gap-2 px-3 py-2 text-left text-sm hover:bg-muted/60">
        <Icon aria-hidden className={cn("h-4 w-4 shrink-0", op.state === "running" && "animate-spin",
          op.state === "ok" && "text-success", op.state === "error" && "text-destructive")} />
        <span className="min-w-0 flex-1 truncate font-medium">{op.title}</span>
        <span className="shrink-0 text-xs text-muted-foreground">
          {op.finishedMs !== null ? `${(op.finishedMs / 1000).toFixed(1)} s` : summary.last ?? "starting…"}
        </span>
        {expanded ? <ChevronUp className="h-4 w-4" aria-hidden /> : <ChevronDown className="h-4 w-4" aria-hidden />}
      </button>
      {expanded ? (
        <div className="space-y-2 px-3 pb-3 text-xs" data-testid="progress-detail">
          {summary.steps.length ? (
            <ol className="space-y-0.5" aria-label="Steps">
              {summary.steps.map((s, i) => <li key={i} className="text-muted-foreground">{i + 1}. {s}</li>)}
            </ol>
          ) : null}
          {summary.objects.length ? (
            <ul className="space-y-0.5" aria-label="Containers and networks">
              {summary.objects.map((o) => (
                <li key={o.key} className="flex gap-2" data-testid="progress-object" data-name={o.name} data-status={o.status}>
                  <span className="w-16 shrink-0 text-muted-foreground">{o.object}</span>
                  <span className="min-w-0 flex-1 truncate font-mono">{o.name}</span>
                  <span className={cn("shrink-0 font-medium", STATUS_TONE[o.status])} title={o.history.join(" → ")}>{o.status}</span>
                </li>
              ))}
            </ul>
          ) : null}
          {summary.layers.length ? (
            <div className="space-y-1" data-testid="progress-layers">
              {fraction !== null ? (
                <div className="h-1.5 overflow-hidden rounded bg-muted" role="progressbar" aria-label="Pull progress"
                  aria-valuenow={Math.round(fraction * 100)} aria-valuemin={0} aria-valuemax={100}>
                  <div className="h-full bg-primary transition-[width]" style={{ width: `${fraction * 100}%` }} />
                </div>
              ) : null}
              <ul className="max-h-28 space-y-0.5 overflow-y-auto">
                {summary.layers.map((l) => (
                  <li key={l.id} className="flex gap-2 font-mono">
                    <span>{l.id}</span>
                    <span className="flex-1 truncate text-muted-foreground">{l.status}</span>
                    {l.total ? <span>{fmtBytes(l.current)} / {fmtBytes(l.total)}</span> : null}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {summary.gate ? (
            <p data-testid="progress-gate" data-status={summary.gate.status}
              className={cn(summary.gate.status === "failed" && "text-destructive", summary.gate.status === "passed" && "text-success")}>
              Health gate: {summary.gate.detail}
            </p>
          ) : null}
          {summary.output.length ? (
            <pre className="max-h-28 overflow-auto whitespace-pre-wrap break-all rounded bg-muted/60 p-1.5 font-mono">
              {summary.output.slice(-8).join("\n")}
            </pre>
          ) : null}
          {op.error ? (
            <div role="alert" className="rounded border border-destructive/50 bg-destructive/5 p-2" data-testid="progress-error">
              <p className="font-medium text-destructive">{op.error.message}</p>
              {op.error.details ? <pre className="mt-1 max-h-40 overflow-auto whitespace-pre-wrap break-all font-mono">{op.error.details}</pre> : null}
            </div>
          ) : null}
          {op.firstEventMs !== null ? (
            <p className="text-muted-foreground">First event after {op.firstEventMs} ms</p>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

/** The operations panel: opens when an operation starts, stays while pinned (or while one failed). */
export function ProgressPanel() {
  const operations = useSyncExternalStore(progressStore.subscribe, progressStore.operations, () => []);
  const open = useSyncExternalStore(progressStore.subscribe, progressStore.open, () => false);
  const [pinned, setPinned] = useState(false);
  const [expanded, setExpanded] = useState<number | null>(null);
  useEffect(() => setPinned(localStorage.getItem(PIN_KEY) === "1"), []);

  const newest = operations[0];
  // Follow the newest operation unless the person opened another one.
  useEffect(() => {
    if (newest) setExpanded(newest.id);
  }, [newest?.id]);

  const settled = operations.length > 0 && operations.every((o) => o.state === "ok");
  useEffect(() => {
    if (!open || pinned || !settled) return;
    const t = setTimeout(() => progressStore.setOpen(false), AUTO_CLOSE_MS);
    return () => clearTimeout(t);
  }, [open, pinned, settled, newest?.finishedMs]);

  if (!operations.length) return null;
  const running = operations.filter((o) => o.state === "running").length;
  if (!open) {
    return (
      <Button size="sm" variant="secondary" className="fixed bottom-3 right-3 z-40 shadow" onClick={() => progressStore.setOpen(true)}
        data-testid="progress-reopen">
        <Activity aria-hidden /> {running ? `${running} running` : "Activity"}
      </Button>
    );
  }
  const togglePin = () => {
    const next = !pinned;
    setPinned(next);
    localStorage.setItem(PIN_KEY, next ? "1" : "0");
  };
  return (
    <section aria-label="Operations" data-testid="progress-panel"
      className="fixed inset-x-2 bottom-2 z-40 max-h-[70vh] overflow-hidden rounded-lg border bg-card shadow-lg sm:inset-x-auto sm:right-3 sm:w-[26rem]">
      <header className="flex items-center gap-1 border-b px-3 py-1.5">
        <h2 className="flex-1 text-sm font-semibold">Operations{running ? ` · ${running} running` : ""}</h2>
        <Button variant="ghost" size="icon" onClick={togglePin} aria-pressed={pinned} data-testid="progress-keep-open"
          aria-label={pinned ? "Let the panel close by itself" : "Keep the panel open"} title={pinned ? "Kept open" : "Keep open"}>
          {pinned ? <Pin aria-hidden /> : <PinOff aria-hidden />}
        </Button>
        <Button variant="ghost" size="icon" onClick={() => progressStore.clear()} aria-label="Clear finished operations">
          <Trash2 aria-hidden />
        </Button>
        <Button variant="ghost" size="icon" onClick={() => progressStore.setOpen(false)} aria-label="Close the panel" data-testid="progress-close">
          <X aria-hidden />
        </Button>
      </header>
      <ul className="max-h-[calc(70vh-2.5rem)] overflow-y-auto" aria-live="polite">
        {operations.map((op) => (
          <OperationView key={op.id} op={op} expanded={expanded === op.id}
            onToggle={() => setExpanded((e) => (e === op.id ? null : op.id))} />
        ))}
      </ul>
    </section>
  );
}
