"use client";

import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Switch } from "@/components/ui/switch";
import type { NotificationChannel, NotificationChannelUpdate, NotificationEventType } from "@/lib/api/types";
import { eventLabel, groupEvents, groupLabel, selectedTypes, selectorsFor } from "@/lib/notifications";
import { useAddChannel, useEventTypes, useUpdateChannel } from "@/lib/queries/notifications";

type EventSelector = NonNullable<NotificationChannelUpdate["events"]>[number];
import { toast } from "@/lib/toast";

/** Event types by group, each group with a checkbox of its own (checked: the whole group, future types too). */
function EventPicker({ catalogue, chosen, onChange }: {
  catalogue: NotificationEventType[];
  chosen: Set<string>;
  onChange: (next: Set<string>) => void;
}) {
  const toggle = (types: string[], on: boolean) => {
    const next = new Set(chosen);
    for (const t of types) {
      if (on) next.add(t);
      else next.delete(t);
    }
    onChange(next);
  };
  return (
    <fieldset className="space-y-3" data-testid="event-picker">
      <legend className="text-sm font-medium">Events</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={catalogue.length > 0 && chosen.size === catalogue.length}
          onChange={(e) => toggle(catalogue.map((c) => c.type), e.target.checked)} data-testid="events-all" />
        All events
      </label>
      <div className="grid gap-3 sm:grid-cols-2">
        {groupEvents(catalogue).map(([group, events]) => {
          const all = events.every((e) => chosen.has(e.type));
          const some = !all && events.some((e) => chosen.has(e.type));
          return (
            <div key={group} className="rounded-md border p-2">
              <label className="flex items-center gap-2 text-sm font-medium">
                <input type="checkbox" checked={all} ref={(el) => { if (el) el.indeterminate = some; }}
                  onChange={(e) => toggle(events.map((x) => x.type), e.target.checked)} data-testid={`events-group-${group}`} />
                {groupLabel(group)}
              </label>
              <ul className="mt-1 space-y-1 pl-5">
                {events.map((e) => (
                  <li key={e.type}>
                    <label className="flex items-start gap-2 text-sm" title={e.description}>
                      <input type="checkbox" className="mt-1" checked={chosen.has(e.type)}
                        onChange={(ev) => toggle([e.type], ev.target.checked)} data-testid={`event-${e.type}`} />
                      <span>{eventLabel(e.type)}<span className="block text-xs text-muted-foreground">{e.description}</span></span>
                    </label>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}

/**
 * Add a channel, or edit one. The Apprise URL is write-only: editing shows the stored one masked as a hint, and
 * leaving the field empty keeps it.
 */
export function ChannelDialog({ channel, open, onOpenChange }: {
  channel?: NotificationChannel | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  const editing = !!channel;
  const events = useEventTypes();
  const add = useAddChannel();
  const update = useUpdateChannel();
  const mutation = editing ? update : add;
  const catalogue = events.data ?? [];
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [enabled, setEnabled] = useState(true);
  const [digest, setDigest] = useState(false);
  const [touched, setTouched] = useState(false);

  useEffect(() => {
    if (!open) return;
    setName(channel?.name ?? "");
    setUrl("");
    setChosen(selectedTypes(channel?.events ?? ["*"], catalogue));
    setEnabled(channel?.enabled ?? true);
    setDigest(channel?.digest ?? false);
    setTouched(false);
    add.reset();
    update.reset();
    // reset the form when the dialog opens (or the event catalogue arrives), not on every change of the mutations
  }, [open, channel?.id, events.data]);

  const nameError = touched && !name.trim() ? "a name is required" : null;
  const urlError = touched && !editing && !url.trim() ? "an Apprise URL is required" : null;
  const eventsError = touched && chosen.size === 0 ? "choose at least one event" : null;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!name.trim() || (!editing && !url.trim()) || chosen.size === 0) return;
    // Built from the server's own catalogue, so every selector is one the API's enum lists.
    const selectors = selectorsFor(chosen, catalogue) as EventSelector[];
    try {
      if (editing) {
        const body: NotificationChannelUpdate = { name: name.trim(), events: selectors, enabled, digest };
        if (url.trim()) body.url = url.trim();
        const saved = await update.mutateAsync({ id: channel!.id, body });
        toast(`Saved ${saved.name}`, { variant: "success" });
      } else {
        const saved = await add.mutateAsync({ name: name.trim(), url: url.trim(), events: selectors, enabled, digest });
        toast(`Added ${saved.name}`, { variant: "success", description: "Send a test to check that it arrives." });
      }
      onOpenChange(false);
    } catch {
      // shown below
    }
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[90vh] overflow-y-auto sm:max-w-2xl">
        <DialogHeader>
          <DialogTitle>{editing ? `Edit ${channel?.name}` : "Add a notification channel"}</DialogTitle>
          <DialogDescription>
            A channel is an Apprise URL: ntfy, Gotify, Slack, Discord, Telegram, e-mail, webhooks and many more.
          </DialogDescription>
        </DialogHeader>
        <form className="space-y-4" onSubmit={submit} noValidate data-testid="channel-form">
          <Field id="ch-name" label="Name" error={nameError}>
            <Input id="ch-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={64} autoComplete="off"
              placeholder="e.g. ops phone" aria-invalid={!!nameError} autoFocus />
          </Field>
          <Field id="ch-url" label="Apprise URL" error={urlError} hint={editing
            ? <>Stored: <code className="break-all" data-testid="stored-url">{channel?.url}</code>. Leave empty to keep it.</>
            : <>Stored encrypted and only ever shown masked. Formats: <a className="underline" href="https://github.com/caronc/apprise/wiki"
                target="_blank" rel="noreferrer">Apprise wiki</a>.</>}>
            <Input id="ch-url" value={url} onChange={(e) => setUrl(e.target.value)} autoComplete="off" spellCheck={false}
              className="font-mono" placeholder={editing ? "e.g. a new URL, to replace the stored one" : "e.g. ntfy://ntfy.sh/my-topic"}
              aria-invalid={!!urlError} />
          </Field>
          {events.error ? <ErrorPanel error={events.error} onRetry={() => events.refetch()} /> : null}
          <EventPicker catalogue={catalogue} chosen={chosen} onChange={setChosen} />
          {eventsError ? <p role="alert" className="text-xs text-destructive">{eventsError}</p> : null}
          <div className="flex flex-wrap gap-6">
            <label className="flex items-center gap-2 text-sm">
              <Switch checked={enabled} onCheckedChange={setEnabled} data-testid="channel-enabled" /> Enabled
            </label>
            <label className="flex items-center gap-2 text-sm" title="One message a day with everything, instead of one per event">
              <Switch checked={digest} onCheckedChange={setDigest} data-testid="channel-digest" /> Daily digest
            </label>
          </div>
          {mutation.error ? <ErrorPanel error={mutation.error} clearOnReconnect /> : null}
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>Cancel</Button>
            <Button type="submit" disabled={mutation.isPending || !events.data} data-testid="channel-submit">
              {mutation.isPending ? "Saving…" : editing ? "Save" : "Add channel"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
