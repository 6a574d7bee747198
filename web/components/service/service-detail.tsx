"use client";

import { ArrowLeft, ArrowUpCircle, Download, GitCompare, Plus, RotateCw, SearchCheck, Trash2 } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import dynamic from "next/dynamic";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { StaleNotice } from "@/components/stale-notice";
import { NotAvailable } from "@/components/not-available";
import { PortLinks } from "@/components/ports";
import { ScheduleDialog } from "@/components/schedules/schedule-form";
import { ScheduleList } from "@/components/schedules/schedule-list";
import { QuickActionDialog, type PendingAction } from "@/components/services/quick-actions";
import { driftState, ExtraBadges, gitopsState, StatusBadge } from "@/components/status";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { asApiError } from "@/lib/api/errors";
import { isMissingEndpoint } from "@/lib/api/missing";
import type { Schedule, Service } from "@/lib/api/types";
import { useSchedules } from "@/lib/queries/schedules";
import {
  serviceKeys, useApplyService, useDeleteService, useService, useServices, useUpdateService,
} from "@/lib/queries/services";
import { outcomeSentence } from "@/lib/run-outcome";
import { toast } from "@/lib/toast";
import { unsaved } from "@/lib/unsaved";
import { useTitle } from "@/lib/use-title";

import { ComposePanel } from "./compose-panel";
import { ContainersTable } from "./containers-table";
import { ServiceActivity } from "./history-panels";
import { LogsPanel } from "./logs-panel";

// Issue 18: the .env editor and the usable history load with their tabs, not with the page.
const EnvPanel = dynamic(() => import("./env-panel"), { ssr: false, loading: () => <Skeleton className="h-40" /> });
const GitHistoryPanel = dynamic(() => import("./git-history"), { ssr: false, loading: () => <Skeleton className="h-24" /> });

const TABS = ["overview", "logs", "compose", "env", "schedules", "activity", "history"] as const;
type Tab = (typeof TABS)[number];

function ServiceSchedules({ service }: { service: Service }) {
  const { data, error, refetch, isPending } = useSchedules();
  const services = useServices().data ?? [service];
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [open, setOpen] = useState(false);
  if (isPending) return <Skeleton className="h-24" />;
  if (error) return isMissingEndpoint(error) ? <NotAvailable what="Scheduling" /> : <ErrorPanel error={error} onRetry={() => refetch()} />;
  const mine = (data ?? []).filter((s) => s.service_id === service.id);
  return (
    <div className="space-y-3">
      <div className="flex justify-end">
        <Button size="sm" onClick={() => { setEditing(null); setOpen(true); }} disabled={!service.managed} data-testid="add-schedule">
          <Plus aria-hidden /> Add schedule
        </Button>
      </div>
      <Card><ScheduleList schedules={mine} services={services} showService={false} onEdit={(s) => { setEditing(s); setOpen(true); }} /></Card>
      <ScheduleDialog open={open} onOpenChange={setOpen} schedule={editing} serviceId={service.id} services={services} />
    </div>
  );
}

export function ServiceDetail() {
  const params = useSearchParams();
  const router = useRouter();
  const id = params.get("id");
  const tabParam = params.get("tab") as Tab | null;
  const tab: Tab = tabParam && TABS.includes(tabParam) ? tabParam : "overview";
  const { data, error, refetch, isPending, dataUpdatedAt, isFetching } = useService(id);
  const schedules = useSchedules();
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [withVolumes, setWithVolumes] = useState(false);
  const [envOpened, setEnvOpened] = useState(false);
  if (tab === "env" && !envOpened) setEnvOpened(true);
  const del = useDeleteService();
  const check = useUpdateService();
  const apply = useApplyService();
  const queryClient = useQueryClient();

  const notFound = !data && asApiError(error).status === 404;
  useTitle(data ? data.service.name : notFound ? "Service not found" : null);

  // Leaving the Compose tab with unsaved edits asks first (lib/unsaved.ts); the .env editor stays mounted.
  const setTab = (t: string) => unsaved.guard(() => {
    const next = new URLSearchParams(params.toString());
    if (t === "overview") next.delete("tab");
    else next.set("tab", t);
    router.replace(`/service/?${next.toString()}`, { scroll: false });
  }, "tab");

  const back = (
    <Link href="/" className="inline-flex items-center gap-1 text-sm text-muted-foreground hover:text-foreground">
      <ArrowLeft className="h-4 w-4" aria-hidden /> Services
    </Link>
  );
  if (!id) return <ErrorPanel error={asApiError(new Error("no service id"))} title="No service chosen" />;
  if (isPending) {
    return <div className="space-y-3"><Skeleton className="h-10 w-64" /><Skeleton className="h-40" /></div>;
  }
  // A failed refresh keeps the loaded page (editor and draft included); only a first load that failed
  // has nothing to show but the error.
  if (!data) {
    const e = asApiError(error);
    if (notFound) {
      return (
        <div className="space-y-3" data-testid="service-not-found">
          {back}
          <h1 className="text-2xl font-semibold tracking-tight">Service not found</h1>
          <p className="text-sm text-muted-foreground">
            There is no service <span className="font-mono">{id}</span> on this sdmd: it may have been deleted.
          </p>
        </div>
      );
    }
    return <div className="space-y-3">{back}<ErrorPanel error={e} onRetry={() => refetch()} autoRetry /></div>;
  }

  const { etag } = data;
  // GET /api/services/{id} does not say update_available (only the list does); take it from the list's cache.
  const listed = queryClient.getQueryData<Service[]>(serviceKeys.all)?.find((s) => s.id === data.service.id);
  const service: Service = { ...data.service, update_available: data.service.update_available || !!listed?.update_available };
  const drift = driftState(service);
  const git = gitopsState(service);

  const runCheck = async () => {
    try {
      const job = await check.mutateAsync({ id: service.id, mode: "check" });
      const result = job.run?.result;
      toast(
        result === "update_available" ? "An update is available" : result === "up_to_date" ? "Already up to date"
          : result ? `Check finished: ${outcomeSentence(result)}` : "The check is still running; the list will show its result",
        { variant: result === "error" ? "error" : "success", description: job.run?.reason ?? undefined },
      );
    } catch (exc) {
      toast(isMissingEndpoint(exc) ? "Checking for updates is not available on this server yet" : asApiError(exc).message, { variant: "error" });
    }
  };

  const runApply = async () => {
    try {
      await apply.mutateAsync(service.id);
      toast("Applied the compose file from git", { variant: "success" });
    } catch (exc) {
      toast(isMissingEndpoint(exc) ? "Applying is not available on this server yet" : asApiError(exc).message, { variant: "error" });
    }
  };

  const scheduleCount = schedules.data?.filter((s) => s.service_id === service.id).length;

  return (
    <div className="space-y-4">
      {back}
      {error ? <StaleNotice error={error} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} /> : null}
      <div className="flex flex-col gap-3 md:flex-row md:items-start md:justify-between">
        <div className="min-w-0 space-y-2">
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="break-all text-2xl font-semibold tracking-tight" data-testid="service-name">{service.name}</h1>
            <StatusBadge status={service.status} />
            <ExtraBadges service={service} />
          </div>
          <PortLinks containers={service.containers} />
          {service.updated_at ? (
            <p className="text-xs text-muted-foreground">Definition updated {new Date(service.updated_at).toLocaleString()}</p>
          ) : null}
        </div>
        <div className="flex flex-wrap gap-2">
          {service.managed ? (
            <>
              <Button variant="outline" size="sm" onClick={() => setPending({ action: "restart", service })} data-testid="restart"><RotateCw aria-hidden /> Restart</Button>
              <Button variant="outline" size="sm" onClick={runCheck} disabled={check.isPending}><SearchCheck aria-hidden /> Check for update</Button>
              <Button variant={service.update_available ? "default" : "outline"} size="sm" onClick={() => setPending({ action: "update", service })}><ArrowUpCircle aria-hidden /> Update now</Button>
              <Button variant="destructive" size="sm" onClick={() => setDeleteOpen(true)} data-testid="delete"><Trash2 aria-hidden /> Delete</Button>
            </>
          ) : (
            <Button size="sm" onClick={() => setPending({ action: "adopt", service })}><Download aria-hidden /> Adopt</Button>
          )}
        </div>
      </div>

      {!service.managed ? (
        <p className="rounded-md border border-info/40 bg-info/5 p-3 text-sm">
          sdmd did not create this compose project: you can read its containers and logs; adopt it to edit, schedule and update it.
        </p>
      ) : null}
      {drift || git ? (
        <div role="status" data-testid="drift-panel" className="space-y-2 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm">
          <div className="flex flex-col gap-2 sm:flex-row sm:items-center">
            <GitCompare className="h-4 w-4 shrink-0" aria-hidden />
            <p className="flex-1">
              {git === "pending" ? "The compose file changed in the stacks folder and waits to be applied."
                : git === "error" ? "The last attempt to apply the compose file from the stacks folder failed."
                : git === "orphaned" ? "The compose file of this service is gone from the stacks folder."
                : "The running containers differ from the compose file."}
            </p>
            {git !== "orphaned" ? <Button size="sm" onClick={runApply} disabled={apply.isPending}>{apply.isPending ? "Applying…" : "Apply the file"}</Button> : null}
          </div>
          {service.gitops?.error ? <p className="break-words font-mono text-xs">{service.gitops.error}</p> : null}
          {service.drift?.items.length ? (
            <ul className="list-disc space-y-0.5 pl-6 text-xs">
              {service.drift.items.map((item, i) => (
                <li key={i}><span className="font-medium">{item.kind}</span>{item.service ? ` ${item.service}` : ""}: {item.detail}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      <Tabs value={tab} onValueChange={setTab}>
        <TabsList aria-label="Service sections">
          <TabsTrigger value="overview">Containers</TabsTrigger>
          <TabsTrigger value="logs" data-testid="tab-logs">Logs</TabsTrigger>
          <TabsTrigger value="compose" data-testid="tab-compose" disabled={!service.managed}>Compose</TabsTrigger>
          <TabsTrigger value="env" data-testid="tab-env" disabled={!service.managed}>.env</TabsTrigger>
          <TabsTrigger value="schedules" data-testid="tab-schedules">Schedules</TabsTrigger>
          <TabsTrigger value="activity" data-testid="tab-activity">Activity</TabsTrigger>
          <TabsTrigger value="history" data-testid="tab-history">History</TabsTrigger>
        </TabsList>
        <TabsContent value="overview">
          <Card><ContainersTable containers={service.containers} /></Card>
        </TabsContent>
        <TabsContent value="logs"><LogsPanel serviceId={service.id} /></TabsContent>
        <TabsContent value="compose">
          {service.managed ? (
            <ComposePanel key={service.id} service={service} etag={etag} cacheId={id} onReload={async () => (await refetch()).data} />
          ) : null}
        </TabsContent>
        {/* Kept mounted while another tab shows, so an unsaved .env edit survives a tab switch. */}
        <TabsContent value="env" forceMount className="data-[state=inactive]:hidden">
          {service.managed && (tab === "env" || envOpened) ? <EnvPanel service={service} /> : null}
        </TabsContent>
        <TabsContent value="schedules"><ServiceSchedules service={service} /></TabsContent>
        <TabsContent value="activity">
          <Card><CardHeader><CardTitle>Recent activity</CardTitle></CardHeader><CardContent className="px-0 sm:px-0"><ServiceActivity serviceId={service.id} /></CardContent></Card>
        </TabsContent>
        <TabsContent value="history">
          <Card><CardHeader><CardTitle>Git history of the compose file</CardTitle></CardHeader><CardContent className="px-0 sm:px-0"><GitHistoryPanel serviceId={service.id} etag={etag} /></CardContent></Card>
        </TabsContent>
      </Tabs>

      <QuickActionDialog pending={pending} onClose={() => setPending(null)} />
      <ConfirmDialog
        open={deleteOpen}
        onOpenChange={(o) => { setDeleteOpen(o); if (!o) del.reset(); }}
        title={`Delete ${service.name}?`}
        description={
          <>
            <p>This stops and removes its containers and deletes <span className="font-mono">stacks/{service.name}</span>. It cannot be undone.</p>
            <p data-testid="delete-schedules">
              {scheduleCount === undefined ? "Its update schedules, if any, are deleted too."
                : scheduleCount === 0 ? "It has no update schedules."
                : `Its ${scheduleCount === 1 ? "update schedule is" : `${scheduleCount} update schedules are`} deleted too.`}
            </p>
          </>
        }
        confirmLabel="Delete service"
        destructive
        typeToConfirm={service.name}
        busy={del.isPending}
        onConfirm={async () => {
          try {
            await del.mutateAsync({ id: service.id, volumes: withVolumes });
            toast(`Deleted ${service.name}`, { variant: "success" });
            router.push("/");
          } catch {
            // shown in the dialog
          }
        }}
      >
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={withVolumes} onChange={(e) => setWithVolumes(e.target.checked)} />
          Also remove its named volumes (their data is lost)
        </label>
        {del.error ? <ErrorPanel error={del.error} clearOnReconnect /> : null}
      </ConfirmDialog>
    </div>
  );
}
