"use client";

import { Plus } from "lucide-react";
import { useState } from "react";

import { LoadProblem } from "@/components/stale-notice";
import { NotAvailable } from "@/components/not-available";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { isMissingEndpoint } from "@/lib/api/missing";
import type { Schedule } from "@/lib/api/types";
import { useSchedules } from "@/lib/queries/schedules";
import { useServices } from "@/lib/queries/services";
import { useBrowserZone } from "@/lib/use-browser-zone";

import { ScheduleDialog } from "./schedule-form";
import { ScheduleList } from "./schedule-list";

export function SchedulesPage() {
  const { data, error, refetch, isPending, dataUpdatedAt } = useSchedules();
  const services = useServices().data ?? [];
  const [editing, setEditing] = useState<Schedule | null>(null);
  const [open, setOpen] = useState(false);
  const missing = error && isMissingEndpoint(error);
  const zone = useBrowserZone();

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Schedules</h1>
          <p className="text-sm text-muted-foreground">
            Automatic pull-and-recreate per service. Next runs show in the schedule&apos;s zone and in yours{zone ? ` (${zone})` : ""}.
          </p>
        </div>
        <Button onClick={() => { setEditing(null); setOpen(true); }} disabled={!!missing} data-testid="new-schedule">
          <Plus aria-hidden /> New schedule
        </Button>
      </div>
      {!missing ? <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} /> : null}
      {isPending ? <Skeleton className="h-32" /> : missing ? <NotAvailable what="Scheduling" /> : !data ? null : (
        <Card><ScheduleList schedules={data ?? []} services={services} onEdit={(s) => { setEditing(s); setOpen(true); }} /></Card>
      )}
      <ScheduleDialog open={open} onOpenChange={setOpen} schedule={editing} services={services} />
    </div>
  );
}
