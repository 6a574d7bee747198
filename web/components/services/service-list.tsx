"use client";

import { ArrowUpCircle, RotateCw, Download } from "lucide-react";
import Link from "next/link";
import { memo } from "react";

import { PortLinks } from "@/components/ports";
import { ExtraBadges, StatusBadge } from "@/components/status";
import { Button } from "@/components/ui/button";
import type { Service } from "@/lib/api/types";
import { formatBytes, formatPercent } from "@/lib/live/stats";

import type { QuickAction } from "./quick-actions";

function containerSummary(service: Service): string {
  const n = service.containers.length;
  if (!n) return "no containers";
  const running = service.containers.filter((c) => c.state === "running").length;
  return `${running}/${n} container${n === 1 ? "" : "s"} running`;
}

export const ServiceRow = memo(function ServiceRow({
  service, onAction, cpu, memory,
}: {
  service: Service;
  onAction: (action: QuickAction, service: Service) => void;
  /** live: the service's CPU (%) and memory (bytes) now, from the list's stats stream */
  cpu?: number;
  memory?: number;
}) {
  const href = `/service/?id=${encodeURIComponent(service.id)}`;
  return (
    <li className="grid gap-2 border-b px-3 py-3 last:border-b-0 sm:grid-cols-[minmax(0,1.3fr)_minmax(0,1fr)_auto] sm:items-center sm:px-4" data-testid="service-row" data-name={service.name}>
      <div className="min-w-0 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <Link href={href} className="truncate font-medium text-foreground hover:underline" data-testid="service-link">
            {service.name}
          </Link>
          <StatusBadge status={service.status} />
          <ExtraBadges service={service} />
        </div>
        <p className="truncate text-xs text-muted-foreground">
          {containerSummary(service)}
          {service.containers[0]?.image ? <> · <span className="font-mono">{service.containers[0].image}</span></> : null}
        </p>
        {cpu !== undefined ? (
          <p className="text-xs text-muted-foreground" data-testid="service-usage">
            CPU <span className="font-medium text-foreground">{formatPercent(cpu)}</span>
            {" · "}Memory <span className="font-medium text-foreground">{formatBytes(memory)}</span>
          </p>
        ) : null}
      </div>
      <PortLinks containers={service.containers} />
      <div className="flex gap-1 sm:justify-end">
        {service.managed ? (
          <>
            <Button variant="ghost" size="sm" onClick={() => onAction("restart", service)} aria-label={`Restart ${service.name}`}>
              <RotateCw aria-hidden /> <span className="sm:sr-only lg:not-sr-only">Restart</span>
            </Button>
            <Button
              variant={service.update_available ? "secondary" : "ghost"}
              size="sm"
              onClick={() => onAction("update", service)}
              aria-label={`Update ${service.name} now`}
            >
              <ArrowUpCircle aria-hidden /> <span className="sm:sr-only lg:not-sr-only">Update</span>
            </Button>
          </>
        ) : (
          <Button variant="outline" size="sm" onClick={() => onAction("adopt", service)} aria-label={`Adopt ${service.name}`} data-testid="adopt">
            <Download aria-hidden /> Adopt
          </Button>
        )}
      </div>
    </li>
  );
});
