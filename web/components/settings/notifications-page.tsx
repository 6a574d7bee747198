"use client";

import { BellPlus, Pencil, Send, Trash2 } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { NotificationChannel, NotificationDelivery, NotificationTestResult } from "@/lib/api/types";
import { asApiError } from "@/lib/api/errors";
import { relativeTime } from "@/lib/format";
import { channelKind, eventsSummary } from "@/lib/notifications";
import { useChannels, useRemoveChannel, useTestChannel } from "@/lib/queries/notifications";
import { toast } from "@/lib/toast";

import { ChannelDialog } from "./channel-dialog";
import { DeliveriesLog, DeliveryStatus } from "./deliveries-log";

function When({ delivery }: { delivery: NotificationDelivery }) {
  const at = delivery.sent_at ?? delivery.last_attempt_at ?? delivery.created_at;
  return <span className="text-xs text-muted-foreground" title={new Date(at).toLocaleString()}>{relativeTime(at)}</span>;
}

/** What the last test of a channel gave, until the next one (or the page is left). */
type TestOutcome = { ok: true } | { ok: false; error: string };

function ChannelRow({ channel, outcome, testing, onTest, onEdit, onRemove }: {
  channel: NotificationChannel;
  outcome?: TestOutcome;
  testing: boolean;
  onTest: () => void;
  onEdit: () => void;
  onRemove: () => void;
}) {
  const last = channel.last_delivery;
  const failure = channel.last_failure;
  return (
    <tr className="border-b align-top last:border-b-0" data-testid="channel-row" data-name={channel.name}>
      <td className="px-3 py-2">
        <span className="break-all font-medium">{channel.name}</span>
        <span className="block text-xs text-muted-foreground" data-testid="channel-kind">{channelKind(channel.url)}</span>
      </td>
      <td className="hidden max-w-xs px-3 py-2 md:table-cell">
        <code className="break-all text-xs" data-testid="channel-url">{channel.url}</code>
      </td>
      <td className="hidden px-3 py-2 lg:table-cell" data-testid="channel-events">
        {eventsSummary(channel.events)}
        {channel.digest ? <Badge variant="info" className="ml-1">daily digest</Badge> : null}
      </td>
      <td className="px-3 py-2">
        {channel.enabled
          ? <Badge variant="success" data-testid="channel-enabled-badge">enabled</Badge>
          : <Badge variant="muted" data-testid="channel-enabled-badge">disabled</Badge>}
      </td>
      <td className="px-3 py-2" data-testid="channel-last">
        {last ? (
          <div className="space-y-0.5">
            <div className="flex flex-wrap items-center gap-1"><DeliveryStatus delivery={last} /> <When delivery={last} /></div>
            <p className="text-xs">{last.title}</p>
          </div>
        ) : <span className="text-xs text-muted-foreground">nothing sent yet</span>}
      </td>
      <td className="px-3 py-2" data-testid="channel-failure">
        {failure ? (
          <div className="space-y-0.5">
            <When delivery={failure} />
            <p className="break-words text-xs text-destructive" data-testid="channel-failure-error">{failure.error ?? "failed"}</p>
          </div>
        ) : <span className="text-xs text-muted-foreground">none</span>}
      </td>
      <td className="whitespace-nowrap px-3 py-2 text-right">
        <Button variant="outline" size="sm" onClick={onTest} disabled={testing} data-testid="channel-test">
          <Send aria-hidden /> {testing ? "Sending…" : "Test"}
        </Button>
        <Button variant="ghost" size="sm" onClick={onEdit} aria-label={`Edit ${channel.name}`} data-testid="channel-edit">
          <Pencil aria-hidden />
        </Button>
        <Button variant="ghost" size="sm" onClick={onRemove} aria-label={`Remove ${channel.name}`} data-testid="channel-remove">
          <Trash2 aria-hidden />
        </Button>
        {outcome ? (
          <p role="status" data-testid="test-outcome" data-ok={outcome.ok}
            className={`mt-1 max-w-60 whitespace-normal text-left text-xs ${outcome.ok ? "text-success" : "text-destructive"}`}>
            {outcome.ok ? "Test delivered." : `Test not delivered: ${outcome.error}`}
          </p>
        ) : null}
      </td>
    </tr>
  );
}

export function NotificationsPage() {
  const { data, error, refetch, isPending, isFetching, dataUpdatedAt } = useChannels();
  const test = useTestChannel();
  const remove = useRemoveChannel();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<NotificationChannel | null>(null);
  const [removing, setRemoving] = useState<NotificationChannel | null>(null);
  const [testingId, setTestingId] = useState<string | null>(null);
  const [outcomes, setOutcomes] = useState<Record<string, TestOutcome>>({});

  const runTest = async (channel: NotificationChannel) => {
    setTestingId(channel.id);
    try {
      const result: NotificationTestResult = await test.mutateAsync(channel.id);
      const outcome: TestOutcome = result.delivered ? { ok: true } : { ok: false, error: result.error ?? "not delivered" };
      setOutcomes((o) => ({ ...o, [channel.id]: outcome }));
      toast(result.delivered ? `Test sent to ${channel.name}` : `The test to ${channel.name} failed`,
        { variant: result.delivered ? "success" : "error", description: result.delivered ? undefined : result.error ?? undefined });
    } catch (e) {
      setOutcomes((o) => ({ ...o, [channel.id]: { ok: false, error: asApiError(e).message } }));
    } finally {
      setTestingId(null);
    }
  };

  return (
    <div className="space-y-6">
      <div className="space-y-4">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <div>
            <h2 className="text-lg font-semibold">Notifications</h2>
            <p className="text-sm text-muted-foreground">
              Where sdmd says what happened: updates, containers that die or turn unhealthy, hosts that go away, GitOps errors.
            </p>
          </div>
          <Button onClick={() => setAdding(true)} disabled={!data} data-testid="add-channel"><BellPlus aria-hidden /> Add channel</Button>
        </div>
        <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} />
        {isPending ? <Skeleton className="h-32" /> : !data ? null : !data.length ? (
          <p className="rounded-md border border-dashed p-4 text-sm text-muted-foreground" data-testid="channels-empty">
            No channels yet. Add one (ntfy, Gotify, Slack, Discord, Telegram, e-mail, a webhook…) to be told when something happens.
          </p>
        ) : (
          <Card className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="channels">
              <caption className="sr-only">Notification channels</caption>
              <thead className="border-b text-xs text-muted-foreground">
                <tr>
                  <th scope="col" className="px-3 py-2 font-medium">Channel</th>
                  <th scope="col" className="hidden px-3 py-2 font-medium md:table-cell">Target</th>
                  <th scope="col" className="hidden px-3 py-2 font-medium lg:table-cell">Events</th>
                  <th scope="col" className="px-3 py-2 font-medium">State</th>
                  <th scope="col" className="px-3 py-2 font-medium">Last delivery</th>
                  <th scope="col" className="px-3 py-2 font-medium">Last failure</th>
                  <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {data.map((c) => (
                  <ChannelRow key={c.id} channel={c} outcome={outcomes[c.id]} testing={testingId === c.id}
                    onTest={() => runTest(c)} onEdit={() => setEditing(c)} onRemove={() => setRemoving(c)} />
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </div>

      <DeliveriesLog />

      <ChannelDialog open={adding} onOpenChange={setAdding} />
      <ChannelDialog channel={editing} open={!!editing} onOpenChange={(o) => { if (!o) setEditing(null); }} />
      <ConfirmDialog
        open={!!removing}
        onOpenChange={(o) => { if (!o) { setRemoving(null); remove.reset(); } }}
        title={`Remove ${removing?.name ?? ""}?`}
        description={<p>Nothing more is sent to it. Its past deliveries stay in the log below.</p>}
        confirmLabel="Remove channel"
        destructive
        busy={remove.isPending}
        onConfirm={async () => {
          if (!removing) return;
          try {
            await remove.mutateAsync(removing.id);
            toast(`Removed ${removing.name}`, { variant: "success" });
            setOutcomes(({ [removing.id]: _, ...rest }) => rest);
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
