"use client";

import { ChevronLeft, ChevronRight, X } from "lucide-react";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";

import { LoadProblem } from "@/components/stale-notice";
import { NotAvailable } from "@/components/not-available";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { isMissingEndpoint } from "@/lib/api/missing";
import {
  auditUrl, currentCursor, EMPTY_FILTERS, filtersFromParams, KNOWN_ACTIONS, newerPosition, olderPosition, pageNumber,
  positionFromParams, type AuditFilters,
} from "@/lib/audit-filters";
import { useAudit } from "@/lib/queries/audit";
import { useServices } from "@/lib/queries/services";

import { AuditTable } from "./audit-table";

export function AuditPage() {
  const params = useSearchParams();
  const router = useRouter();
  const search = params.toString();
  // Filters and the page both live in the URL, so a reload, Back and a shared link show the same page.
  const applied = useMemo(() => filtersFromParams(new URLSearchParams(search)), [search]);
  const position = useMemo(() => positionFromParams(new URLSearchParams(search)), [search]);
  const appliedKey = JSON.stringify(applied);
  const [form, setForm] = useState<AuditFilters>(applied);
  const { data, error, refetch, isPending, isFetching, dataUpdatedAt } = useAudit(applied, currentCursor(position));
  const services = useServices().data ?? [];

  useEffect(() => {
    setForm(JSON.parse(appliedKey) as AuditFilters);
  }, [appliedKey]);

  // New filters start again from page 1: the cursor of a page under the old filters means nothing now.
  const apply = (filters: AuditFilters) => router.replace(auditUrl(filters), { scroll: false });
  const goTo = (next: typeof position) => router.push(auditUrl(applied, next), { scroll: false });
  const set = (key: keyof AuditFilters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));
  const page = pageNumber(position);

  const missing = error && isMissingEndpoint(error);
  const active = JSON.stringify(applied) !== JSON.stringify(EMPTY_FILTERS);

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p className="text-sm text-muted-foreground">Every action on services, images, schedules and logins, newest first.</p>
      </div>
      <Card className="p-4">
        <form
          className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4"
          onSubmit={(e) => { e.preventDefault(); apply(form); }}
          data-testid="audit-filters"
        >
          <Field id="a-actor" label="Actor"><Input id="a-actor" value={form.actor} onChange={set("actor")} placeholder="email or id" autoComplete="off" /></Field>
          <Field id="a-action" label="Action">
            <Input id="a-action" list="a-actions" value={form.action} onChange={set("action")} placeholder="e.g. service.create" autoComplete="off" />
            <datalist id="a-actions">{KNOWN_ACTIONS.map((a) => <option key={a} value={a} />)}</datalist>
          </Field>
          <Field id="a-target" label="Service">
            <Input id="a-target" list="a-targets" value={form.target} onChange={set("target")} placeholder="name or id" autoComplete="off" />
            <datalist id="a-targets">{services.filter((s) => s.managed).map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}</datalist>
          </Field>
          <Field id="a-limit" label="Per page">
            {/* Applies at once (with the rest of the form), back to page 1. */}
            <NativeSelect
              id="a-limit"
              value={form.limit}
              onChange={(e) => {
                const next = { ...form, limit: Number(e.target.value) };
                setForm(next);
                apply(next);
              }}
            >
              {[20, 50, 100, 200].map((n) => <option key={n} value={n}>{n}</option>)}
            </NativeSelect>
          </Field>
          <Field id="a-since" label="From"><Input id="a-since" type="datetime-local" value={form.since} onChange={set("since")} /></Field>
          <Field id="a-until" label="Until"><Input id="a-until" type="datetime-local" value={form.until} onChange={set("until")} /></Field>
          <div className="flex items-end gap-2 sm:col-span-2">
            <Button type="submit" data-testid="apply-filters">Apply filters</Button>
            {active ? (
              <Button variant="ghost" onClick={() => { setForm(EMPTY_FILTERS); apply(EMPTY_FILTERS); }}><X aria-hidden /> Clear</Button>
            ) : null}
          </div>
        </form>
      </Card>

      {!missing ? <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} /> : null}
      {isPending ? <Skeleton className="h-40" /> : missing ? <NotAvailable what="The audit log" /> : !data ? null : (
        <Card aria-busy={isFetching}><AuditTable entries={data?.items ?? []} /></Card>
      )}

      {!missing ? (
        <nav className="flex items-center justify-between gap-2" aria-label="Pages">
          <Button variant="outline" size="sm" disabled={page <= 1 || isFetching} onClick={() => goTo(newerPosition(position))} data-testid="newer">
            <ChevronLeft aria-hidden /> Newer
          </Button>
          <span className="text-xs text-muted-foreground" data-testid="page-number">Page {page}</span>
          <Button
            variant="outline"
            size="sm"
            disabled={!data?.nextCursor || isFetching}
            onClick={() => data?.nextCursor && goTo(olderPosition(position, data.nextCursor))}
            data-testid="older"
          >
            Older <ChevronRight aria-hidden />
          </Button>
        </nav>
      ) : null}
    </div>
  );
}
