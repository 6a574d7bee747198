"use client";

import { Plus, Search } from "lucide-react";
import Link from "next/link";
import { useCallback, useDeferredValue, useMemo, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { StaleNotice } from "@/components/stale-notice";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import type { Service } from "@/lib/api/types";
import { prefetchServices, useServices } from "@/lib/queries/services";
import { useHydrated } from "@/lib/use-hydrated";

import { QuickActionDialog, type PendingAction, type QuickAction } from "./quick-actions";
import { ServiceRow } from "./service-list";

prefetchServices();

const STATUS_ORDER = ["running", "partial", "stopped", "not_deployed"];

function Summary({ services }: { services: Service[] }) {
  const counts = STATUS_ORDER.map((s) => [s, services.filter((x) => x.status === s).length] as const).filter(([, n]) => n);
  return (
    <p className="text-sm text-muted-foreground" data-testid="summary">
      {services.length} service{services.length === 1 ? "" : "s"}
      {counts.map(([s, n]) => ` · ${n} ${s.replace("_", " ")}`).join("")}
    </p>
  );
}

export function ServicesPage() {
  const list = useServices();
  // The list may arrive before hydration (see lib/early-fetch.ts); the prerendered HTML has none.
  const hydrated = useHydrated();
  const { refetch, isFetching, dataUpdatedAt } = list;
  const data = hydrated ? list.data : undefined;
  const error = hydrated ? list.error : null;
  const isPending = !hydrated || list.isPending;
  const [query, setQuery] = useState("");
  const [status, setStatus] = useState("");
  const deferredQuery = useDeferredValue(query);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const onAction = useCallback((action: QuickAction, service: Service) => setPending({ action, service }), []);

  const { managed, unmanaged } = useMemo(() => {
    const q = deferredQuery.trim().toLowerCase();
    const match = (s: Service) =>
      (!q || s.name.toLowerCase().includes(q) || s.containers.some((c) => (c.image ?? "").toLowerCase().includes(q)))
      && (!status || s.status === status || (status === "update" && !!s.update_available));
    const all = data ?? [];
    return { managed: all.filter((s) => s.managed && match(s)), unmanaged: all.filter((s) => !s.managed && match(s)) };
  }, [data, deferredQuery, status]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">Services</h1>
          {data ? <Summary services={data.filter((s) => s.managed)} /> : error ? null : (
            <p className="text-sm text-muted-foreground">Loading…</p>
          )}
        </div>
        <Button asChild><Link href="/services/new/"><Plus aria-hidden /> New service</Link></Button>
      </div>

      <div className="flex flex-col gap-2 sm:flex-row">
        <div className="relative flex-1">
          <Search className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            placeholder="Filter by name or image"
            aria-label="Filter services by name or image"
            className="pl-8"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <NativeSelect aria-label="Filter by status" value={status} onChange={(e) => setStatus(e.target.value)} className="sm:w-48">
          <option value="">All states</option>
          <option value="running">Running</option>
          <option value="partial">Partial</option>
          <option value="stopped">Stopped</option>
          <option value="not_deployed">Not deployed</option>
          <option value="update">Update available</option>
        </NativeSelect>
      </div>

      {error ? (
        data ? <StaleNotice error={error} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} />
          : <ErrorPanel error={error} onRetry={() => refetch()} autoRetry />
      ) : null}

      {isPending ? (
        <Card className="space-y-3 p-4" aria-busy="true" aria-label="Loading services">
          {Array.from({ length: 4 }, (_, i) => <Skeleton key={i} className="h-10" />)}
        </Card>
      ) : data ? (
        <>
          <Card>
            {managed.length ? (
              <ul aria-label="Services" data-testid="service-list">
                {managed.map((s) => <ServiceRow key={s.id} service={s} onAction={onAction} />)}
              </ul>
            ) : (
              <div className="p-6 text-center text-sm text-muted-foreground">
                {data.some((s) => s.managed) ? "No service matches the filter." : (
                  <>No services yet. <Link className="text-primary underline" href="/services/new/">Create the first one</Link>.</>
                )}
              </div>
            )}
          </Card>

          {unmanaged.length ? (
            <section aria-labelledby="unmanaged-heading" className="space-y-2">
              <h2 id="unmanaged-heading" className="text-lg font-semibold">Other compose projects</h2>
              <p className="text-sm text-muted-foreground">
                Running on this Docker engine but not created by sdmd (read-only until adopted).
              </p>
              <Card>
                <ul aria-label="Unmanaged compose projects" data-testid="unmanaged-list">
                  {unmanaged.map((s) => <ServiceRow key={s.id} service={s} onAction={onAction} />)}
                </ul>
              </Card>
            </section>
          ) : null}
        </>
      ) : null}

      <p className="text-xs text-muted-foreground" aria-live="polite">
        {dataUpdatedAt ? `Updated ${new Date(dataUpdatedAt).toLocaleTimeString()}` : ""}
        {isFetching && !isPending ? " · refreshing…" : ""}
      </p>

      <QuickActionDialog pending={pending} onClose={() => setPending(null)} />
    </div>
  );
}
