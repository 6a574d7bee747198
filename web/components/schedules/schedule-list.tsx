"use client";

import { History, Pencil, Trash2 } from "lucide-react";
import Link from "next/link";
import { useMemo, useRef, useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Switch } from "@/components/ui/switch";
import type { Schedule, Service } from "@/lib/api/types";
import { useDeleteSchedule, useSaveSchedule } from "@/lib/queries/schedules";
import { outcomeTone, outcomeWords } from "@/lib/run-outcome";
import { browserTimeZone, describeSchedule, formatInZone, relative } from "@/lib/schedule-time";
import { toast } from "@/lib/toast";

import { ScheduleRunsDialog } from "./schedule-runs";

function resultText(result: Schedule["last_result"]): string {
  if (!result) return "";
  if (typeof result === "string") return result;
  const r = result as Record<string, unknown>;
  return String(r.outcome ?? r.status ?? r.result ?? JSON.stringify(result));
}

export function ScheduleList({
  schedules, services, onEdit, showService = true,
}: {
  schedules: Schedule[];
  services: Service[];
  onEdit: (schedule: Schedule) => void;
  showService?: boolean;
}) {
  const names = useMemo(() => new Map(services.map((s) => [s.id, s.name])), [services]);
  const save = useSaveSchedule();
  const remove = useDeleteSchedule();
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  const [runsOf, setRunsOf] = useState<Schedule | null>(null);
  const [error, setError] = useState<unknown>(null);
  const zone = useMemo(() => browserTimeZone(), []);
  const box = useRef<HTMLDivElement>(null);
  const focusListOnClose = useRef(false);
  const nameOf = (s: Schedule) => names.get(s.service_id) ?? s.service_name ?? s.service_id;

  const toggle = async (s: Schedule, enabled: boolean) => {
    setError(null);
    try {
      await save.mutateAsync({ id: s.id, input: { enabled } });
      toast(`${enabled ? "Enabled" : "Disabled"} the schedule of ${nameOf(s)}`);
    } catch (exc) {
      setError(exc);
    }
  };

  return (
    // Focus lands here after a deleted schedule's row (and its buttons) went away.
    <div ref={box} tabIndex={-1} aria-label="Schedules" className="outline-none focus-visible:outline-2">
      {error ? <ErrorPanel error={error} className="m-3" clearOnReconnect /> : null}
      {!schedules.length ? <p className="p-4 text-sm text-muted-foreground">No schedules.</p> : null}
      <ul className="divide-y empty:hidden" data-testid="schedule-list">
        {schedules.map((s) => {
          const result = resultText(s.last_result);
          return (
            <li key={s.id} className="grid gap-2 px-3 py-3 sm:grid-cols-[minmax(0,1.2fr)_minmax(0,1.3fr)_auto] sm:items-center" data-testid="schedule-row">
              <div className="min-w-0 space-y-1">
                {showService ? (
                  <Link href={`/service/?id=${encodeURIComponent(s.service_id)}`} className="font-medium hover:underline">
                    {nameOf(s)}
                  </Link>
                ) : null}
                <p className="text-sm">{describeSchedule(s)}</p>
                <div className="flex flex-wrap gap-1">
                  <Badge variant={s.mode === "update" ? "info" : "muted"}>{s.mode === "update" ? "update" : "check only"}</Badge>
                  {!s.enabled ? <Badge variant="muted">disabled</Badge> : null}
                </div>
              </div>
              <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-2 gap-y-0.5 text-xs">
                <dt className="text-muted-foreground">Next run</dt>
                <dd data-testid="next-run">
                  {s.enabled && s.next_run_at ? (
                    <>
                      {formatInZone(s.next_run_at, s.timezone)} <span className="text-muted-foreground">({relative(s.next_run_at)})</span>
                      {zone !== s.timezone ? <div className="text-muted-foreground">{formatInZone(s.next_run_at, zone)} your time</div> : null}
                    </>
                  ) : "—"}
                </dd>
                <dt className="text-muted-foreground">Last run</dt>
                <dd>
                  {s.last_run_at ? formatInZone(s.last_run_at, zone) : "never"}
                  {result ? (
                    <Badge className="ml-1" variant={outcomeTone(result)} data-testid="last-result" data-result={result}>{outcomeWords(result)}</Badge>
                  ) : null}
                </dd>
              </dl>
              <div className="flex items-center gap-1 sm:justify-end">
                <Switch
                  checked={s.enabled}
                  onCheckedChange={(v) => toggle(s, v)}
                  aria-label={`${s.enabled ? "Disable" : "Enable"} schedule of ${nameOf(s)}`}
                  data-testid="schedule-enabled"
                />
                <Button variant="ghost" size="icon" onClick={() => setRunsOf(s)} aria-label="Runs of this schedule"><History aria-hidden /></Button>
                <Button variant="ghost" size="icon" onClick={() => onEdit(s)} aria-label="Edit schedule"><Pencil aria-hidden /></Button>
                <Button variant="ghost" size="icon" onClick={() => setDeleting(s)} aria-label="Delete schedule"><Trash2 aria-hidden /></Button>
              </div>
            </li>
          );
        })}
      </ul>
      <ScheduleRunsDialog schedule={runsOf} onClose={() => setRunsOf(null)} />
      <ConfirmDialog
        open={!!deleting}
        onOpenChange={(o) => !o && setDeleting(null)}
        title={deleting ? `Delete the schedule of ${nameOf(deleting)}?` : "Delete schedule?"}
        description={deleting ? <p>{nameOf(deleting)}, {describeSchedule(deleting)}: it will not run again.</p> : null}
        confirmLabel="Delete"
        destructive
        busy={remove.isPending}
        onCloseAutoFocus={(e) => {
          // The deleted row took the button that opened the dialog with it: focus the list, not the page.
          if (!focusListOnClose.current) return;
          focusListOnClose.current = false;
          e.preventDefault();
          box.current?.focus();
        }}
        onConfirm={async () => {
          if (!deleting) return;
          const name = nameOf(deleting);
          try {
            await remove.mutateAsync(deleting.id);
            focusListOnClose.current = true;
            toast(`Deleted the schedule of ${name}`);
            setDeleting(null);
          } catch (exc) {
            setDeleting(null);
            setError(exc);
          }
        }}
      />
    </div>
  );
}
