"use client";

import { useEffect, useMemo, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input, NativeSelect } from "@/components/ui/input";
import { Field, Label } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import type { Schedule, Service } from "@/lib/api/types";
import { useSaveSchedule } from "@/lib/queries/schedules";
import {
  browserTimeZone, capitalise, DAYS, dayForApi, dayName, normaliseTime, timeZones, validateSchedule, type ScheduleDraft,
} from "@/lib/schedule-time";
import { toast } from "@/lib/toast";

function draftFrom(schedule: Schedule | null, serviceId: string | undefined): ScheduleDraft {
  if (schedule) {
    return {
      service_id: schedule.service_id,
      frequency: schedule.frequency === "weekly" ? "weekly" : "daily",
      day_of_week: dayName(schedule.day_of_week) ?? "",
      time_of_day: schedule.time_of_day.slice(0, 5),
      timezone: schedule.timezone,
      mode: schedule.mode === "check" ? "check" : "update",
      enabled: schedule.enabled,
    };
  }
  return {
    service_id: serviceId ?? "",
    frequency: "daily",
    day_of_week: "sunday",
    time_of_day: "03:00",
    timezone: browserTimeZone(),
    mode: "update",
    enabled: true,
  };
}

export function ScheduleDialog({
  open, onOpenChange, schedule, serviceId, services,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  schedule: Schedule | null;
  serviceId?: string;
  services: Service[];
}) {
  const [draft, setDraft] = useState<ScheduleDraft>(() => draftFrom(schedule, serviceId));
  const [touched, setTouched] = useState(false);
  const save = useSaveSchedule();
  const zones = useMemo(() => (open ? timeZones() : []), [open]);

  useEffect(() => {
    if (open) {
      setDraft(draftFrom(schedule, serviceId));
      setTouched(false);
      save.reset();
    }
    // reset only when the dialog opens for a schedule
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, schedule, serviceId]);

  const errors = validateSchedule({ ...draft, time_of_day: normaliseTime(draft.time_of_day) });
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const shown = (key: keyof ScheduleDraft) => (touched ? errors[key] : undefined);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length) return;
    try {
      await save.mutateAsync({
        id: schedule?.id,
        input: {
          service_id: draft.service_id,
          frequency: draft.frequency,
          day_of_week: draft.frequency === "weekly" ? dayForApi(draft.day_of_week) : null,
          time_of_day: normaliseTime(draft.time_of_day),
          timezone: draft.timezone,
          mode: draft.mode,
          enabled: draft.enabled,
        },
      });
      toast(schedule ? "Schedule saved" : "Schedule created", { variant: "success" });
      onOpenChange(false);
    } catch {
      // shown below from save.error
    }
  };

  const managed = services.filter((s) => s.managed);
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{schedule ? "Edit schedule" : "New schedule"}</DialogTitle>
          <DialogDescription>
            sdmd pulls the service&apos;s images at this time and recreates what changed (or, in check mode, only reports
            that an update is available).
          </DialogDescription>
        </DialogHeader>
        <form className="grid gap-4" onSubmit={submit} noValidate data-testid="schedule-form">
          <Field id="sch-service" label="Service" error={shown("service_id")}>
            <NativeSelect id="sch-service" value={draft.service_id} onChange={(e) => set("service_id", e.target.value)} disabled={!!serviceId || !!schedule} aria-invalid={!!shown("service_id")}>
              <option value="">Choose…</option>
              {managed.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
              {draft.service_id && !managed.some((s) => s.id === draft.service_id) ? <option value={draft.service_id}>{draft.service_id}</option> : null}
            </NativeSelect>
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field id="sch-frequency" label="Frequency" error={shown("frequency")}>
              <NativeSelect id="sch-frequency" value={draft.frequency} onChange={(e) => set("frequency", e.target.value as ScheduleDraft["frequency"])}>
                <option value="daily">Daily</option>
                <option value="weekly">Weekly</option>
              </NativeSelect>
            </Field>
            {draft.frequency === "weekly" ? (
              <Field id="sch-day" label="Day" error={shown("day_of_week")}>
                <NativeSelect id="sch-day" value={draft.day_of_week} onChange={(e) => set("day_of_week", e.target.value)} aria-invalid={!!shown("day_of_week")}>
                  <option value="">Choose…</option>
                  {DAYS.map((d) => <option key={d} value={d}>{capitalise(d)}</option>)}
                </NativeSelect>
              </Field>
            ) : <div className="hidden sm:block" />}
            {/* A text field, not type="time": that one shows "03:00 AM" in a 12-hour locale despite the hint. */}
            <Field id="sch-time" label="Time of day" error={shown("time_of_day")} hint="24-hour HH:MM, in the time zone below">
              <Input
                id="sch-time"
                value={draft.time_of_day}
                onChange={(e) => set("time_of_day", e.target.value)}
                onBlur={(e) => set("time_of_day", normaliseTime(e.target.value))}
                inputMode="numeric"
                autoComplete="off"
                maxLength={5}
                placeholder="e.g. 03:00"
                aria-invalid={!!shown("time_of_day")}
                required
              />
            </Field>
            <Field id="sch-tz" label="Time zone" error={shown("timezone")} hint={`Your browser: ${browserTimeZone()}`}>
              <Input id="sch-tz" list="sch-tz-list" value={draft.timezone} onChange={(e) => set("timezone", e.target.value)} aria-invalid={!!shown("timezone")} autoComplete="off" />
              <datalist id="sch-tz-list">{zones.map((z) => <option key={z} value={z} />)}</datalist>
            </Field>
          </div>
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">Mode</legend>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="sch-mode" value="update" checked={draft.mode === "update"} onChange={() => set("mode", "update")} className="mt-1" />
              <span><strong>Update</strong>: pull and recreate, roll back if the new version fails its health check</span>
            </label>
            <label className="flex items-start gap-2 text-sm">
              <input type="radio" name="sch-mode" value="check" checked={draft.mode === "check"} onChange={() => set("mode", "check")} className="mt-1" />
              <span><strong>Check only</strong>: mark &ldquo;update available&rdquo; and leave the service alone</span>
            </label>
          </fieldset>
          <div className="flex items-center gap-2">
            <Switch id="sch-enabled" checked={draft.enabled} onCheckedChange={(v) => set("enabled", v)} />
            <Label htmlFor="sch-enabled">Enabled</Label>
          </div>
          {save.error ? <ErrorPanel error={save.error} clearOnReconnect /> : null}
          <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <Button variant="outline" onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" disabled={save.isPending} data-testid="save-schedule">{save.isPending ? "Saving…" : "Save schedule"}</Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
