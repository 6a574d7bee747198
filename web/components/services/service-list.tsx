"use client";

import { ArrowUpCircle, RotateCw, Download } from "lucide-react";
import Link from "next/link";
import { memo } from "react";

import { PortLinks } from "@/components/ports";
import { ExtraBadges, StatusBadge } from "@/components/status";
import { Button } from "@/components/ui/button";
import type { Service } from "@/lib/api/types";
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
  service, onAction,
}: {
  service: Service;
  onAction: (action: QuickAction, service: Service) => void;
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
        <p className="text-xs text-muted-foreground">{containerSummary(service)}</p>
        <ImageSummary service={service} />
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
