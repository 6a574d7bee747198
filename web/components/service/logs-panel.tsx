"use client";

import { ArrowDown, Copy, Download, Search } from "lucide-react";
import { useEffect, useMemo, useRef, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Input, NativeSelect } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import { raw } from "@/lib/api/client";
import { asApiError } from "@/lib/api/errors";
import type { Service } from "@/lib/api/types";
import { logsPath, useLogStream } from "@/lib/live/logs";
import { containerSlot, filterLines, formatStamp, highlight, linesToText, localToUtc } from "@/lib/logs";
import { toast } from "@/lib/toast";
import { cn } from "@/lib/utils";

const TAILS = [100, 500, 1000, 5000];
const SLOT_COLOURS = ["text-sky-600 dark:text-sky-400", "text-emerald-600 dark:text-emerald-400", "text-amber-600 dark:text-amber-400",
  "text-fuchsia-600 dark:text-fuchsia-400", "text-rose-600 dark:text-rose-400", "text-indigo-600 dark:text-indigo-400"];
const STATUS_TEXT = { connecting: "connecting…", open: "live", retrying: "reconnecting…", closed: "paused" } as const;

export function LogsPanel({ service }: { service: Service }) {
  const [tail, setTail] = useState(100);
  const [follow, setFollow] = useState(true);
  const [stamps, setStamps] = useState(true);
  const [query, setQuery] = useState("");
  const [container, setContainer] = useState("");
  const [sinceLocal, setSinceLocal] = useState("");
  const [untilLocal, setUntilLocal] = useState("");
  const since = localToUtc(sinceLocal);
  const until = localToUtc(untilLocal);
  const stream = useLogStream({ serviceId: service.id, container, tail, since, until }, follow);
  const box = useRef<HTMLPreElement>(null);
  const [pinned, setPinned] = useState(true);
  const [downloading, setDownloading] = useState(false);

  const lines = useMemo(() => filterLines(stream.lines, query), [stream.lines, query]);
  const zone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone, []);
  const containers = useMemo(() => new Set(stream.lines.map((l) => l.container)).size, [stream.lines]);

  // Following: stay at the bottom as lines arrive, unless the person scrolled up to read.
  useEffect(() => {
    const el = box.current;
    if (el && pinned) el.scrollTop = el.scrollHeight;
  }, [lines, pinned]);

  const downloadFile = async () => {
    setDownloading(true);
    try {
      const response = await raw(logsPath({ serviceId: service.id, container, tail, since, until }, { download: true, tail: undefined }),
        { accept: "text/plain" });
      const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "")?.[1] ?? `${service.name}-logs.log`;
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (exc) {
      toast("Could not download the logs", { variant: "error", description: asApiError(exc).message });
    } finally {
      setDownloading(false);
    }
  };

  const live = stream.status === "open" && !stream.complete;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-container">Container</Label>
          <NativeSelect id="log-container" value={container} onChange={(e) => setContainer(e.target.value)} className="w-48" data-testid="log-container">
            <option value="">All containers</option>
            {service.containers.map((c) => <option key={c.id} value={c.name}>{c.name}</option>)}
          </NativeSelect>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-tail">Lines</Label>
          <NativeSelect id="log-tail" value={tail} onChange={(e) => setTail(Number(e.target.value))} className="w-32" data-testid="log-tail">
            {TAILS.map((t) => <option key={t} value={t}>last {t}</option>)}
          </NativeSelect>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-since">Since</Label>
          <Input id="log-since" type="datetime-local" step="1" value={sinceLocal} onChange={(e) => setSinceLocal(e.target.value)} className="w-52" data-testid="log-since" />
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-until">Until</Label>
          <Input id="log-until" type="datetime-local" step="1" value={untilLocal} onChange={(e) => setUntilLocal(e.target.value)} className="w-52" data-testid="log-until" />
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
        <Button variant="outline" size="sm" className="mb-0.5"
          onClick={() => navigator.clipboard?.writeText(linesToText(lines, stamps)).then(() => toast(`Copied ${lines.length} lines`))}
          disabled={!lines.length}>
          <Copy aria-hidden /> Copy
        </Button>
        <Button variant="outline" size="sm" className="mb-0.5" onClick={downloadFile} disabled={downloading} data-testid="log-download">
          <Download aria-hidden /> {downloading ? "Preparing…" : "Download"}
        </Button>
      </div>

      {stream.error && stream.status === "closed" ? <ErrorPanel error={stream.error} title="The logs could not be followed" /> : null}

      <div className="relative">
        <pre
          ref={box}
          role="log"
          aria-label="Service logs"
          aria-busy={stream.status === "connecting" && !stream.lines.length}
          tabIndex={0}
          data-testid="logs"
          data-stream={stream.status}
          onScroll={(e) => {
            const el = e.currentTarget;
            setPinned(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
          }}
          className="h-[60vh] min-h-64 overflow-auto rounded-md border bg-muted/40 p-2 font-mono text-xs leading-5"
        >
          {stream.status === "connecting" && !stream.lines.length ? "Loading…" : lines.length === 0 ? (
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
        {!pinned ? (
          <Button size="sm" variant="secondary" className="absolute bottom-3 right-5 shadow" onClick={() => {
            const el = box.current;
            if (el) el.scrollTop = el.scrollHeight;
            setPinned(true);
          }}>
            <ArrowDown aria-hidden /> Latest
          </Button>
        ) : null}
      </div>
      <p className="text-xs text-muted-foreground" aria-live="polite" data-testid="log-status">
        {`${lines.length} of ${stream.lines.length} lines`}
        {` · ${stream.complete ? "every line up to the chosen time" : follow ? STATUS_TEXT[stream.status] : "paused"}`}
        {live ? " (streamed as written)" : ""}
        {stamps ? ` · times in ${zone}` : ""}
      </p>
    </div>
  );
}
