"use client";

import { ArrowDown, Copy, Search } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import { containerSlot, filterLines, formatStamp, highlight, linesToText } from "@/lib/logs";
import { useServiceLogs } from "@/lib/queries/services";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

const TAILS = [100, 500, 1000, 5000];
const SLOT_COLOURS = ["text-sky-600 dark:text-sky-400", "text-emerald-600 dark:text-emerald-400", "text-amber-600 dark:text-amber-400",
  "text-fuchsia-600 dark:text-fuchsia-400", "text-rose-600 dark:text-rose-400", "text-indigo-600 dark:text-indigo-400"];

export function LogsPanel({ serviceId }: { serviceId: string }) {
  const [tail, setTail] = useState(100);
  const [follow, setFollow] = useState(true);
  const [stamps, setStamps] = useState(true);
  const [query, setQuery] = useState("");
  const { data, error, refetch, isPending, isFetching } = useServiceLogs(serviceId, tail, follow);
  const box = useRef<HTMLPreElement>(null);
  const [pinned, setPinned] = useState(true);

  const lines = useMemo(() => filterLines(data ?? [], query), [data, query]);
  const zone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone, []);
  const containers = useMemo(() => new Set((data ?? []).map((l) => l.container)).size, [data]);

  // Following: stay at the bottom as lines arrive, unless the person scrolled up to read.
  useEffect(() => {
    const el = box.current;
    if (el && follow && pinned) el.scrollTop = el.scrollHeight;
  }, [lines, follow, pinned]);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-tail">Lines</Label>
          <NativeSelect id="log-tail" value={tail} onChange={(e) => setTail(Number(e.target.value))} className="w-32" data-testid="log-tail">
            {TAILS.map((t) => <option key={t} value={t}>last {t}</option>)}
          </NativeSelect>
        </div>
        <div className="relative min-w-48 flex-1">
          <Label htmlFor="log-search" className="sr-only">Search logs</Label>
          <Search className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input id="log-search" type="search" placeholder="Search" className="pl-8" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="log-search" />
        </div>
        <div className="flex items-center gap-2 pb-2">
          <Switch id="log-follow" checked={follow} onCheckedChange={setFollow} data-testid="log-follow" />
          <Label htmlFor="log-follow">Follow</Label>
        </div>
        <div className="flex items-center gap-2 pb-2">
          <Switch id="log-stamps" checked={stamps} onCheckedChange={setStamps} />
          <Label htmlFor="log-stamps">Timestamps</Label>
        </div>
        <Button
          variant="outline"
          size="sm"
          className="mb-0.5"
          onClick={() => navigator.clipboard?.writeText(linesToText(lines, stamps)).then(() => toast(`Copied ${lines.length} lines`))}
          disabled={!lines.length}
        >
          <Copy aria-hidden /> Copy
        </Button>
      </div>

      {error ? <ErrorPanel error={error} onRetry={() => refetch()} title={data ? "Could not refresh the logs" : undefined} /> : null}

      <div className="relative">
        <pre
          ref={box}
          role="log"
          aria-label="Service logs"
          aria-busy={isPending}
          tabIndex={0}
          data-testid="logs"
          onScroll={(e) => {
            const el = e.currentTarget;
            setPinned(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
          className="h-[60vh] min-h-64 overflow-auto rounded-md border bg-muted/40 p-2 font-mono text-xs leading-5"
        >
          {isPending ? "Loading…" : lines.length === 0 ? (
            <span className="text-muted-foreground">{query ? "No line matches the search." : "No log lines yet."}</span>
          ) : (
            lines.map((l, i) => (
              <div key={`${l.timestamp}-${l.container}-${i}`} className="whitespace-pre-wrap break-all hover:bg-muted">
                {containers > 1 ? <span className={cn("select-none", SLOT_COLOURS[containerSlot(l.container)])}>{l.container} </span> : null}
                {stamps ? <span className="select-none text-muted-foreground">{formatStamp(l.timestamp, zone)} </span> : null}
                {highlight(l.message, query).map((seg, j) =>
                  seg.match ? <mark key={j} className="rounded-sm bg-warning/40 text-foreground">{seg.text}</mark> : <span key={j}>{seg.text}</span>)}
              </div>
            ))
          )}
        </pre>
        {follow && !pinned ? (
          <Button size="sm" variant="secondary" className="absolute bottom-3 right-5 shadow" onClick={() => {
            const el = box.current;
            if (el) el.scrollTop = el.scrollHeight;
            setPinned(true);
          }}>
            <ArrowDown aria-hidden /> Latest
          </Button>
        ) : null}
      </div>
      <p className="text-xs text-muted-foreground" aria-live="polite">
        {data ? `${lines.length} of ${data.length} lines` : ""}
        {follow ? " · following (every 2 s)" : ""}
        {isFetching && !isPending ? " · refreshing…" : ""}
        {stamps ? ` · times in ${zone}` : ""}
      </p>
    </div>
  );
}
