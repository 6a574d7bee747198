"use client";

import { Eraser, Search, Trash2 } from "lucide-react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { PullImage } from "@/components/pull-image";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, NativeSelect } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import type { ImageRead } from "@/lib/api/types";
import { formatBytes, relativeTime } from "@/lib/format";
import { useImages, useRemoveImage } from "@/lib/queries/images";
import { toast } from "@/lib/toast";
import { useTitle } from "@/lib/use-title";

import { PruneDialog } from "./prune-dialog";

type Show = "" | "in_use" | "unused" | "dangling";

function UsedBy({ image }: { image: ImageRead }) {
  const services = new Map<string, { id: string | null; name: string; managed: boolean; states: string[] }>();
  const others: string[] = [];
  for (const c of image.containers) {
    if (!c.service_name) {
      others.push(c.container);
      continue;
    }
    const entry = services.get(c.service_name) ?? { id: c.service_id, name: c.service_name, managed: c.managed, states: [] };
    entry.states.push(c.state ?? "unknown");
    services.set(c.service_name, entry);
  }
  const named = image.named_in.filter((s) => !services.has(s.name));
  if (!services.size && !others.length && !named.length) return <span className="text-muted-foreground">—</span>;
  return (
    <ul className="space-y-0.5">
      {[...services.values()].map((s) => (
        <li key={s.name}>
          {s.id ? <Link className="text-primary hover:underline" href={`/service/?id=${encodeURIComponent(s.id)}`}>{s.name}</Link> : s.name}
          <span className="text-xs text-muted-foreground"> · {s.states.join(", ")}{s.managed ? "" : " · not managed"}</span>
        </li>
      ))}
      {others.map((name) => <li key={name} className="font-mono text-xs">{name}</li>)}
      {named.map((s) => (
        <li key={s.id} className="text-xs text-muted-foreground">
          named in <Link className="text-primary hover:underline" href={`/service/?id=${encodeURIComponent(s.id)}&tab=compose`}>{s.name}</Link>&apos;s compose file
        </li>
      ))}
    </ul>
  );
}

function RemoveDialog({ image, host, onClose }: { image: ImageRead | null; host: string; onClose: () => void }) {
  const remove = useRemoveImage(host);
  const [tag, setTag] = useState("");
  const label = image ? image.tags[0] ?? image.short_id : "";
  return (
    <ConfirmDialog
      open={!!image}
      onOpenChange={(open) => { if (!open) { onClose(); setTag(""); remove.reset(); } }}
      title={`Remove ${label}?`}
      description={image ? (
        <>
          <p>
            {tag ? <>Only the tag <span className="font-mono">{tag}</span> goes; the image stays under its other tags.</>
              : image.tags.length > 1 ? <>The image and all its {image.tags.length} tags go.</> : <>The image goes from this Docker host.</>}
            {" "}It frees up to {formatBytes(image.size)} (layers other images share stay).
          </p>
          {image.named_in.length ? (
            <p className="text-warning">
              {image.named_in.map((s) => s.name).join(", ")} name{image.named_in.length === 1 ? "s" : ""} it in a compose file:
              the next deploy pulls it again.
            </p>
          ) : null}
        </>
      ) : null}
      confirmLabel={tag ? "Remove tag" : "Remove image"}
      destructive
      busy={remove.isPending}
      onConfirm={async () => {
        if (!image) return;
        try {
          const result = await remove.mutateAsync({ id: image.id, tag: tag || undefined });
          toast(result.deleted.length ? `Removed ${label}` : `Removed the tag ${tag}`, { variant: "success" });
          onClose();
          setTag("");
        } catch {
          // shown in the dialog
        }
      }}
    >
      {image && image.tags.length > 1 ? (
        <label className="flex flex-col gap-1.5 text-sm">
          <span className="font-medium">What to remove</span>
          <NativeSelect value={tag} onChange={(e) => setTag(e.target.value)} data-testid="remove-what">
            <option value="">The image with all its tags</option>
            {image.tags.map((t) => <option key={t} value={t}>Only the tag {t}</option>)}
          </NativeSelect>
        </label>
      ) : null}
      {remove.error ? <ErrorPanel error={remove.error} clearOnReconnect /> : null}
    </ConfirmDialog>
  );
}

export function ImagesPage() {
  const params = useSearchParams();
  const host = params.get("host") || "local";
  useTitle(host === "local" ? null : `Images on ${host}`); // the static title says "Images"
  const { data, error, refetch, isPending, dataUpdatedAt } = useImages(host);
  const qc = useQueryClient();
  const [query, setQuery] = useState("");
  const [show, setShow] = useState<Show>("");
  const [removing, setRemoving] = useState<ImageRead | null>(null);
  const [pruneOpen, setPruneOpen] = useState(false);

  const images = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (data?.images ?? []).filter((i) =>
      (!q || i.id.includes(q) || i.tags.some((t) => t.toLowerCase().includes(q))
        || i.containers.some((c) => (c.service_name ?? "").toLowerCase().includes(q)))
      && (!show || (show === "in_use" ? i.in_use : show === "unused" ? !i.in_use : i.dangling)));
  }, [data, query, show]);
  const all = data?.images ?? [];

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-2xl font-semibold tracking-tight">Images</h1>
          <p className="text-sm text-muted-foreground" data-testid="images-summary">
            {data
              ? `${all.length} image${all.length === 1 ? "" : "s"} on host ${data.host} · ${formatBytes(data.total_size)} · `
                + `${all.filter((i) => !i.in_use).length} unused · ${all.filter((i) => i.dangling).length} dangling`
              : `Local images on host ${host}`}
          </p>
        </div>
        <Button variant="outline" onClick={() => setPruneOpen(true)} disabled={!data} data-testid="prune-open">
          <Eraser aria-hidden /> Prune…
        </Button>
      </div>

      <div className="flex flex-col gap-2 sm:flex-row">
        <div className="relative flex-1">
          <Search className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted-foreground" aria-hidden />
          <Input type="search" className="pl-8" placeholder="Filter by tag, id or service" aria-label="Filter images"
            value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        <NativeSelect aria-label="Show" value={show} onChange={(e) => setShow(e.target.value as Show)} className="sm:w-48">
          <option value="">All images</option>
          <option value="in_use">In use</option>
          <option value="unused">Not used by a container</option>
          <option value="dangling">Dangling (no tag)</option>
        </NativeSelect>
      </div>

      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} />

      {isPending ? <Skeleton className="h-48" /> : data ? (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="images">
            <caption className="sr-only">Images on host {data.host}</caption>
            <thead className="border-b text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Image</th>
                <th scope="col" className="px-3 py-2 font-medium">Size</th>
                <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">Created</th>
                <th scope="col" className="px-3 py-2 font-medium">Used by</th>
                <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {images.map((image) => (
                <tr key={image.id} className="border-b align-top last:border-b-0" data-testid="image-row" data-id={image.id}>
                  <td className="px-3 py-2">
                    <div className="flex flex-wrap gap-1">
                      {image.tags.length ? image.tags.map((t) => <span key={t} className="break-all font-mono text-xs font-medium">{t}</span>)
                        : <Badge variant="muted">untagged</Badge>}
                      {image.dangling ? <Badge variant="warning">dangling</Badge> : null}
                    </div>
                    <div className="font-mono text-xs text-muted-foreground" title={image.id}>{image.short_id}</div>
                  </td>
                  <td className="whitespace-nowrap px-3 py-2">{formatBytes(image.size)}</td>
                  <td className="hidden whitespace-nowrap px-3 py-2 sm:table-cell" title={new Date(image.created_at).toLocaleString()}>
                    {relativeTime(image.created_at, dataUpdatedAt || undefined)}
                  </td>
                  <td className="px-3 py-2"><UsedBy image={image} /></td>
                  <td className="px-3 py-2 text-right">
                    <Button variant="ghost" size="icon" onClick={() => setRemoving(image)} disabled={image.in_use && image.tags.length < 2}
                      aria-label={`Remove ${image.tags[0] ?? image.short_id}`} data-testid="remove-image"
                      title={image.in_use && image.tags.length < 2 ? "In use by a container: remove or recreate it first" : "Remove"}>
                      <Trash2 aria-hidden />
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!images.length ? <p className="p-6 text-center text-sm text-muted-foreground">No image matches.</p> : null}
        </Card>
      ) : null}

      <PullImage embedded onPulled={() => qc.invalidateQueries({ queryKey: ["images"] })} />

      <RemoveDialog image={removing} host={host} onClose={() => setRemoving(null)} />
      <PruneDialog open={pruneOpen} onOpenChange={setPruneOpen} host={host} />
    </div>
  );
}
