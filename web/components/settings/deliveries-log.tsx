"use client";

import { useState } from "react";

import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { NotificationDelivery } from "@/lib/api/types";
import { relativeTime } from "@/lib/format";
import { statusLabel, statusTone } from "@/lib/notifications";
import { useDeliveries } from "@/lib/queries/notifications";

export function DeliveryStatus({ delivery }: { delivery: NotificationDelivery }) {
  return (
    <Badge variant={statusTone(delivery.status)} data-testid="delivery-status">
      {statusLabel(delivery.status)}
      {delivery.attempts > 1 ? <span className="font-normal">· {delivery.attempts} attempts</span> : null}
    </Badge>
  );
}

/** The last deliveries (newest first), or only the failures, each with Apprise's error. */
export function DeliveriesLog() {
  const [failedOnly, setFailedOnly] = useState(false);
  const { data, error, refetch, isPending, dataUpdatedAt, isFetching } = useDeliveries(failedOnly);
  return (
    <section className="space-y-2" aria-labelledby="deliveries-heading">
      <div className="flex flex-wrap items-end justify-between gap-2">
        <div>
          <h3 id="deliveries-heading" className="font-semibold">Recent deliveries</h3>
          <p className="text-xs text-muted-foreground">Failed attempts are retried a few times before a delivery counts as failed.</p>
        </div>
        <div className="flex gap-1" role="group" aria-label="Which deliveries">
          <Button size="sm" variant={failedOnly ? "ghost" : "secondary"} aria-pressed={!failedOnly}
            onClick={() => setFailedOnly(false)} data-testid="deliveries-all">All</Button>
          <Button size="sm" variant={failedOnly ? "secondary" : "ghost"} aria-pressed={failedOnly}
            onClick={() => setFailedOnly(true)} data-testid="deliveries-failed">Failures</Button>
        </div>
      </div>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-24" /> : !data ? null : !data.length ? (
        <p className="rounded-md border border-dashed p-4 text-sm text-muted-foreground" data-testid="deliveries-empty">
          {failedOnly ? "No failed deliveries." : "Nothing sent yet."}
        </p>
      ) : (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="deliveries">
            <caption className="sr-only">Recent deliveries</caption>
            <thead className="border-b text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">When</th>
                <th scope="col" className="px-3 py-2 font-medium">Channel</th>
                <th scope="col" className="px-3 py-2 font-medium">Message</th>
                <th scope="col" className="px-3 py-2 font-medium">Status</th>
              </tr>
            </thead>
            <tbody>
              {data.map((d) => (
                <tr key={d.id} className="border-b align-top last:border-b-0" data-testid="delivery-row"
                  data-channel={d.channel_name} data-status={d.status} data-event={d.event_type}>
                  <td className="whitespace-nowrap px-3 py-2" title={new Date(d.created_at).toLocaleString()}>
                    {relativeTime(d.created_at)}
                  </td>
                  <td className="px-3 py-2">
                    <span className="break-all">{d.channel_name}</span>
                    {d.channel_id ? null : <span className="block text-xs text-muted-foreground">removed</span>}
                  </td>
                  <td className="px-3 py-2">
                    <span className="font-medium">{d.title}</span>
                    <span className="block font-mono text-xs text-muted-foreground">{d.event_type}</span>
                    {d.error ? <p className="mt-1 break-words text-xs text-destructive" data-testid="delivery-error">{d.error}</p> : null}
                  </td>
                  <td className="whitespace-nowrap px-3 py-2"><DeliveryStatus delivery={d} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
    </section>
  );
}
