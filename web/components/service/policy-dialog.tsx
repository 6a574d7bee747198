"use client";

import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { DiffPreview } from "@/components/save-preview";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import type { DryRun, ImageUpdate } from "@/lib/api/types";
import { previewEtag } from "@/lib/queries/services";
import { usePatchCompose, usePatchPreview } from "@/lib/queries/updates";
import { toast } from "@/lib/toast";

const POLICIES = [
  ["digest", "digest: a new build under the same tag"],
  ["patch", "patch: 1.2.3 → 1.2.9"],
  ["minor", "minor: 1.2.3 → 1.9.0"],
  ["major", "major: any newer version"],
  ["regex", "regex: the newest tag matching a pattern"],
  ["off", "off: never checked nor updated"],
] as const;

/**
 * The `x-sdmd:` policy beside the image of each compose service using it, written as a JSON merge patch:
 * a dry run shows the compose diff first, and the save sends If-Match of the file the diff was made of.
 * Empty fields are removed (null), so the file keeps only what says something.
 */
export default function PolicyDialog({ serviceId, image, onClose }: {
  serviceId: string;
  image: ImageUpdate;
  onClose: () => void;
}) {
  const [update, setUpdate] = useState(image.policy.update);
  const [include, setInclude] = useState(image.policy.include ?? "");
  const [exclude, setExclude] = useState(image.policy.exclude ?? "");
  const [prerelease, setPrerelease] = useState(image.policy.prerelease);
  const [preview, setPreview] = useState<DryRun | null>(null);
  const dryRun = usePatchPreview(serviceId);
  const save = usePatchCompose(serviceId);
  const tagPolicy = update !== "digest" && update !== "off";

  const patch = () => {
    const policy = {
      update,
      include: tagPolicy && include.trim() ? include.trim() : null,
      exclude: tagPolicy && exclude.trim() ? exclude.trim() : null,
      prerelease: tagPolicy && prerelease ? true : null,
    };
    return { services: Object.fromEntries(image.services.map((s) => [s, { "x-sdmd": policy }])) };
  };

  const showPreview = async (e: React.FormEvent) => {
    e.preventDefault();
    save.reset();
    try {
      setPreview(await dryRun.mutateAsync({ patch: patch(), etag: null }));
    } catch {
      // shown below
    }
  };

  const confirm = async () => {
    if (!preview) return;
    try {
      await save.mutateAsync({ patch: patch(), etag: previewEtag(preview) });
      toast(`Update policy of ${image.services.join(", ")}: ${update}`, { variant: "success", description: "Committed to compose.yaml; no container was recreated." });
      onClose();
    } catch {
      // shown below
    }
  };

  const edited = () => { setPreview(null); dryRun.reset(); };
  return (
    <Dialog open onOpenChange={(o) => { if (!o) onClose(); }}>
      <DialogContent className="max-w-2xl" data-testid="policy-dialog">
        <DialogHeader>
          <DialogTitle>Update policy of {image.services.join(", ")}</DialogTitle>
          <DialogDescription>
            Kept in compose.yaml as <span className="font-mono">x-sdmd</span> beside <span className="font-mono break-all">{image.image}</span>,
            where git sees it. Changing it recreates no container.
          </DialogDescription>
        </DialogHeader>
        <form className="space-y-4" onSubmit={showPreview} noValidate data-testid="policy-form">
          <Field id="p-update" label="Follow">
            <select id="p-update" value={update} onChange={(e) => { setUpdate(e.target.value); edited(); }}
              className="h-9 rounded-md border bg-background px-2 text-sm">
              {POLICIES.map(([value, words]) => <option key={value} value={value}>{words}</option>)}
            </select>
          </Field>
          {tagPolicy ? (
            <>
              <Field id="p-include" label={update === "regex" ? "Tags matching (required)" : "Only tags matching"} hint="A regular expression, e.g. ^7\.\d+-alpine$">
                <Input id="p-include" value={include} onChange={(e) => { setInclude(e.target.value); edited(); }} spellCheck={false} className="font-mono" />
              </Field>
              <Field id="p-exclude" label="Skip tags matching" hint="e.g. -(perl|otel)">
                <Input id="p-exclude" value={exclude} onChange={(e) => { setExclude(e.target.value); edited(); }} spellCheck={false} className="font-mono" />
              </Field>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={prerelease} onChange={(e) => { setPrerelease(e.target.checked); edited(); }} />
                Pre-releases too (1.3.0-rc1, -beta.2)
              </label>
            </>
          ) : null}
          {preview ? <DiffPreview preview={preview} unchanged="compose.yaml already says this: nothing to save." /> : null}
          {dryRun.error ? <ErrorPanel error={dryRun.error} clearOnReconnect /> : null}
          {save.error ? <ErrorPanel error={save.error} clearOnReconnect /> : null}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={onClose}>Cancel</Button>
            {preview ? (
              <Button type="button" onClick={confirm} disabled={!preview.changed || save.isPending} data-testid="policy-save">
                {save.isPending ? "Saving…" : "Save policy"}
              </Button>
            ) : (
              <Button type="submit" disabled={dryRun.isPending} data-testid="policy-preview">{dryRun.isPending ? "Checking…" : "Preview change"}</Button>
            )}
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
