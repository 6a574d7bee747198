"use client";

import { ArrowUpCircle, RotateCw, Download } from "lucide-react";
import Link from "next/link";
import { memo } from "react";

import { HostLabel } from "@/components/hosts/host-state";
import { PortLinks } from "@/components/ports";
import { ExtraBadges, StatusBadge } from "@/components/status";
import { Button } from "@/components/ui/button";
import type { Service } from "@/lib/api/types";
import { formatBytes, formatPercent } from "@/lib/live/stats";
import { imageGroups, imageSummaryText } from "@/lib/image-summary";
import { cn } from "@/lib/utils";

import type { QuickAction } from "./quick-actions";

function containerSummary(service: Service): string {
  const n = service.containers.length;
  if (!n) return "no containers";
  const running = service.containers.filter((c) => c.state === "running").length;
  return `${running}/${n} container${n === 1 ? "" : "s"} running`;
}

/** Each image the containers run, the compose services on it, and which are not running. */
function ImageSummary({ service }: { service: Service }) {
  const groups = imageGroups(service);
  if (!groups.length) return null;
  const several = groups.length > 1 || groups[0]!.services.length > 1;
  return (
    <ul className="space-y-0.5 text-xs text-muted-foreground" data-testid="images" aria-label={`Images: ${imageSummaryText(groups)}`}>
      {groups.map((g) => (
        <li key={g.label} className="flex min-w-0 flex-wrap items-baseline gap-x-1.5" data-testid="image-group" data-state={g.state}>
          <span className={cn("break-all font-mono", g.older && "font-sans italic text-foreground")}>{g.label}</span>
          {several ? <span>{g.services.join(", ")}</span> : null}
          {g.state !== "running" ? (
            <span className={cn("font-medium", g.running ? "text-foreground" : "text-destructive")}>{g.state}</span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export const ServiceRow = memo(function ServiceRow({
  service, onAction, showHost = false, cpu, memory,
}: {
  service: Service;
  onAction: (action: QuickAction, service: Service) => void;
  /** several hosts: say which one it runs on (a host that is down or gone always shows) */
  showHost?: boolean;
  /** live: the service's CPU (%) and memory (bytes) now, from the list's stats stream */
  cpu?: number;
  memory?: number;
}) {
  const hostDown = !!service.host_state && service.host_state !== "connected";
  const href = `/service/?id=${encodeURIComponent(service.id)}`;
  return (
    <li className="grid gap-2 border-b px-3 py-3 last:border-b-0 sm:grid-cols-[minmax(0,1.3fr)_minmax(0,1fr)_auto] sm:items-center sm:px-4" data-testid="service-row" data-name={service.name} data-host={service.host}>
      <div className="min-w-0 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <Link href={href} className="truncate font-medium text-foreground hover:underline" data-testid="service-link">
            {service.name}
          </Link>
          <StatusBadge status={service.status} />
          <ExtraBadges service={service} />
        </div>
        <p className="flex flex-wrap items-center gap-x-2 text-xs text-muted-foreground">
          {showHost || hostDown ? <HostLabel host={service.host || "local"} state={service.host_state} error={service.host_error} /> : null}
          <span>{hostDown ? `${containerSummary(service)} when last seen` : containerSummary(service)}</span>
        </p>
        {hostDown && service.host_error ? (
          <p className="break-words text-xs text-destructive" data-testid="service-host-error">{service.host_error}</p>
        ) : null}
        <ImageSummary service={service} />
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
