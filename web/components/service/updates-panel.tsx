"use client";

import { ArrowUpCircle, ExternalLink, RefreshCw, SlidersHorizontal, TriangleAlert } from "lucide-react";

import { ErrorPanel } from "@/components/error-panel";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { ImageUpdate, ServiceUpdates } from "@/lib/api/types";
import { changeWords, policyWords, shortDigest, statusWords } from "@/lib/update-words";

const STATUS_VARIANT: Record<string, "success" | "info" | "muted" | "destructive" | "outline"> = {
  up_to_date: "success",
  update_available: "info",
  unknown: "muted",
  error: "destructive",
  off: "outline",
};

function Links({ image }: { image: ImageUpdate }) {
  const notes = image.candidate?.release_notes;
  if (!notes && !image.compare_url) return null;
  return (
    <span className="inline-flex flex-wrap gap-3 text-xs">
      {notes ? (
        <a href={notes} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1 underline-offset-2 hover:underline" data-testid="release-notes">
          Release notes <ExternalLink className="h-3 w-3" aria-hidden />
        </a>
      ) : null}
      {image.compare_url ? (
        <a href={image.compare_url} target="_blank" rel="noreferrer noopener" className="inline-flex items-center gap-1 underline-offset-2 hover:underline">
          Compare <ExternalLink className="h-3 w-3" aria-hidden />
        </a>
      ) : null}
    </span>
  );
}

function ImageRow({ image, onPolicy }: { image: ImageUpdate; onPolicy?: (image: ImageUpdate) => void }) {
  const change = changeWords(image);
  return (
    <li className="flex flex-col gap-1.5 px-4 py-3 sm:flex-row sm:items-start sm:justify-between" data-testid="image-update"
      data-status={image.status} data-change={image.change ?? ""} data-services={image.services.join(",")}>
      <div className="min-w-0 space-y-1">
        <p className="flex flex-wrap items-center gap-2">
          <span className="font-medium" data-testid="image-services">{image.services.join(", ")}</span>
          <span className="break-all font-mono text-xs text-muted-foreground">{image.image}</span>
        </p>
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <Badge variant={STATUS_VARIANT[image.status] ?? "outline"} data-testid="image-status">
            {image.status === "update_available" ? <ArrowUpCircle className="h-3 w-3" aria-hidden /> : null}
            {statusWords(image.status)}
          </Badge>
          {change ? <span className="font-mono text-xs" data-testid="image-change">{change}</span> : null}
          {image.status === "up_to_date" && image.current.digest ? (
            <span className="font-mono text-xs text-muted-foreground" title={image.current.digest}>{shortDigest(image.current.digest)}</span>
          ) : null}
        </p>
        {image.status === "error" || image.status === "unknown" || (image.status === "update_available" && !image.applicable) ? (
          <p className="break-words text-xs text-muted-foreground" data-testid="image-reason">
            {image.reason ?? (image.status === "unknown" ? "Built or imported locally: there is no registry digest to compare." : "")}
            {image.status === "update_available" && !image.applicable ? " The tag comes from a variable: sdmd cannot edit it, change it in .env." : ""}
          </p>
        ) : null}
        <Links image={image} />
      </div>
      <div className="flex shrink-0 items-center gap-2">
        <span className="text-xs text-muted-foreground" data-testid="image-policy" data-policy={image.policy.update}>
          {policyWords(image.policy)}
        </span>
        {onPolicy ? (
          <Button variant="ghost" size="sm" onClick={() => onPolicy(image)} aria-label={`Update policy of ${image.services.join(", ")}`} data-testid="edit-policy">
            <SlidersHorizontal aria-hidden />
          </Button>
        ) : null}
      </div>
    </li>
  );
}

/**
 * Per compose service: is there something newer, what (current → candidate tag, or a new digest) and the
 * policy that found it; asked live of the registries by GET /api/services/{id}/updates.
 */
export function UpdatesPanel({ data, error, isPending, isFetching, onRefresh, onReview, onPolicy }: {
  data: ServiceUpdates | undefined;
  error: unknown;
  isPending: boolean;
  isFetching: boolean;
  onRefresh: () => void;
  onReview: () => void;
  onPolicy?: (image: ImageUpdate) => void;
}) {
  const available = data?.images.some((i) => i.status === "update_available") ?? false;
  return (
    <Card data-testid="updates-panel" data-available={data ? String(available) : undefined}>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2 space-y-0">
        <CardTitle className="text-base">Images and updates</CardTitle>
        <div className="flex items-center gap-2">
          {data ? (
            <span className="text-xs text-muted-foreground" data-testid="updates-checked">
              Asked the registries {new Date(data.checked_at).toLocaleTimeString()}
            </span>
          ) : null}
          <Button variant="ghost" size="sm" onClick={onRefresh} disabled={isFetching} aria-label="Ask the registries again" data-testid="updates-refresh">
            <RefreshCw className={isFetching ? "animate-spin" : undefined} aria-hidden />
          </Button>
          {available ? (
            <Button size="sm" onClick={onReview} data-testid="review-update"><ArrowUpCircle aria-hidden /> Review update</Button>
          ) : null}
        </div>
      </CardHeader>
      <CardContent className="px-0 sm:px-0">
        {isPending ? (
          <div className="space-y-2 px-4" aria-busy="true">
            <p className="text-xs text-muted-foreground">Asking the registries (nothing is pulled)…</p>
            <Skeleton className="h-10" />
          </div>
        ) : !data ? (
          <div className="px-4"><ErrorPanel error={error} onRetry={onRefresh} title="Could not ask the registries" /></div>
        ) : (
          <>
            {data.policy_errors.length ? (
              <ul role="status" className="mx-4 mb-2 space-y-1 rounded-md border border-warning/60 bg-warning/10 p-2 text-xs" data-testid="policy-errors">
                {data.policy_errors.map((p) => (
                  <li key={p} className="flex gap-2"><TriangleAlert className="h-3.5 w-3.5 shrink-0" aria-hidden /> {p}</li>
                ))}
              </ul>
            ) : null}
            {data.images.length ? (
              <ul className="divide-y border-t">
                {data.images.map((image) => <ImageRow key={`${image.image}|${image.services.join(",")}`} image={image} onPolicy={onPolicy} />)}
              </ul>
            ) : (
              <p className="px-4 text-sm text-muted-foreground">This compose file names no image (everything is built).</p>
            )}
          </>
        )}
      </CardContent>
    </Card>
  );
}
