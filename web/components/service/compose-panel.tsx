"use client";

import { Copy, History, RotateCcw, Save } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { LazyCodeEditor } from "@/components/lazy-editor";
import { SavePreviewDialog } from "@/components/save-preview";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { asApiError, type ApiError } from "@/lib/api/errors";
import type { DryRun, Service } from "@/lib/api/types";
import { clockTime } from "@/lib/connection";
import { clearDraft, draftOffer, loadDraft, saveDraft } from "@/lib/drafts";
import { previewEtag, usePreviewCompose, useSaveCompose, type ServiceWithEtag } from "@/lib/queries/services";
import { toast } from "@/lib/toast";
import { unsaved } from "@/lib/unsaved";
import { locateError, locateField, type LineError } from "@/lib/yaml-errors";

/** A 422 about the file itself (it never reached Docker), as opposed to compose failing to apply it. */
function isValidationError(e: ApiError): boolean {
  return e.status === 422 && /^invalid/i.test(e.message);
}

/**
 * The compose file editor. Saves with If-Match set to the ETag of the version it loaded, so a save never
 * silently overwrites a change made meanwhile (from another tab, by git, by a scheduled update). Unsaved
 * edits are guarded (components/unsaved-guard.tsx) and kept in sessionStorage (lib/drafts.ts).
 */
export function ComposePanel({ service, etag, cacheId, onReload }: {
  service: Service;
  etag: string | null;
  /** the id the page loaded the service by, so a save updates that cache entry */
  cacheId: string;
  onReload: () => Promise<ServiceWithEtag | undefined>;
}) {
  const serverText = service.compose ?? "";
  const [base, setBase] = useState({ text: serverText, etag });
  const [draft, setDraft] = useState(serverText);
  const [offer, setOffer] = useState(() => draftOffer(loadDraft(service.id), serverText, etag));
  const [lineErrors, setLineErrors] = useState<LineError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState(false);
  const editorBox = useRef<HTMLDivElement>(null);
  // The versions this page's own saves replaced: a refresh that was answered before a save landed may
  // still bring one back, and that is old news, not "changed on the server".
  const superseded = useRef(new Set<string>());
  const save = useSaveCompose(service.id, cacheId);
  const check = usePreviewCompose(service.id);
  const [preview, setPreview] = useState<DryRun | null>(null);
  const dirty = draft !== base.text;
  const changedOnServer = etag !== null && base.etag !== null && etag !== base.etag && !superseded.current.has(etag)
    && !save.isPending; // while our own save runs, a new ETag is most likely our own

  const focusEditor = useCallback(() => {
    // After Save or Discard their buttons turn disabled; focus goes back to the text, not to the page.
    requestAnimationFrame(() => editorBox.current?.querySelector<HTMLElement>(".cm-content")?.focus());
  }, []);

  // Not editing: follow the server's version as it refreshes.
  useEffect(() => {
    if (!dirty && changedOnServer) {
      setBase({ text: serverText, etag });
      setDraft(serverText);
    }
  }, [dirty, changedOnServer, serverText, etag]);

  // Keep the edit in sessionStorage while it is unsaved; a kept draft not yet restored or dropped stays.
  useEffect(() => {
    if (dirty) saveDraft({ serviceId: service.id, etag: base.etag, text: draft });
    else if (!offer) clearDraft(service.id);
  }, [dirty, draft, base.etag, offer, service.id]);

  // The guard (components/unsaved-guard.tsx, in the app shell) asks before anything throws the edit away.
  useEffect(() => {
    const owner = `compose:${service.id}`;
    unsaved.set(owner, dirty ? {
      what: `stacks/${service.name}/compose.yaml`,
      onLeave: () => clearDraft(service.id),
      onStay: focusEditor,
    } : null);
    return () => unsaved.set(owner, null);
  }, [dirty, service.id, service.name, focusEditor]);

  const failed = useCallback((exc: unknown, text: string) => {
    const e = asApiError(exc);
    if (e.status === 409 && /changed meanwhile/i.test(e.message)) {
      setConflict(true);
      return;
    }
    setError(e);
    const located = e.status === 422
      ? locateField(text, e.field, e.message) ?? (isValidationError(e) ? locateError(text, e.message, e.details) : null)
      : null;
    setLineErrors(located ? [located] : []);
  }, []);

  // Save first asks sdmd what it would write (a dry run), and shows that diff and compose's warnings.
  const onSave = useCallback(async () => {
    if (save.isPending || check.isPending || !service.managed) return;
    setError(null);
    setLineErrors([]);
    const sent = draft;
    try {
      setPreview(await check.mutateAsync({ text: sent, etag: base.etag }));
    } catch (exc) {
      failed(exc, sent);
    }
  }, [save.isPending, check, draft, base.etag, service.managed, failed]);

  // Confirmed: PUT exactly the previewed text, guarded by the version the diff was made against.
  const onConfirm = async (shown: DryRun) => {
    setPreview(null);
    const sent = shown.compose;
    try {
      const result = await save.mutateAsync({ text: sent, etag: previewEtag(shown) ?? base.etag });
      const newText = result.service.compose ?? sent;
      if (base.etag) superseded.current.add(base.etag);
      if (result.etag) superseded.current.delete(result.etag);
      setBase({ text: newText, etag: result.etag });
      // Whatever was typed while the save ran stays, as an unsaved edit on top of the saved version.
      setDraft((current) => (current === sent ? newText : current));
      setConflict(false);
      clearDraft(service.id);
      toast("Saved and applied", { variant: "success", description: `${service.name} is ${result.service.status.replace("_", " ")}` });
    } catch (exc) {
      failed(exc, sent);
    }
    focusEditor();
  };

  const reload = async () => {
    const fresh = await onReload();
    if (!fresh) return;
    const text = fresh.service.compose ?? "";
    setBase({ text, etag: fresh.etag });
    setDraft(text);
    setConflict(false);
    setError(null);
    setLineErrors([]);
  };

  const discard = () => {
    setBase({ text: serverText, etag });
    setDraft(serverText);
    setError(null);
    setLineErrors([]);
    setConflict(false);
    clearDraft(service.id);
    focusEditor();
  };

  const restore = () => {
    if (!offer) return;
    // Based on an older version: keep that version's ETag, so saving asks to reload first, as any conflict does.
    setBase({ text: serverText, etag: offer.stale ? offer.draft.etag : etag });
    setDraft(offer.draft.text);
    setOffer(null);
    focusEditor();
  };

  const dropOffer = () => {
    setOffer(null);
    if (!dirty) clearDraft(service.id);
  };

  const applyFailed = error && !isValidationError(error);
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <p className="mr-auto text-sm text-muted-foreground">
          <span className="font-mono">stacks/{service.name}/compose.yaml</span>
          {dirty ? <Badge variant="warning" className="ml-2" data-testid="unsaved">unsaved changes</Badge> : null}
        </p>
        <Button variant="outline" size="sm" onClick={discard} disabled={!dirty || save.isPending} data-testid="discard">
          <RotateCcw aria-hidden /> Discard
        </Button>
        <Button size="sm" onClick={onSave} disabled={!dirty || save.isPending || check.isPending || !service.managed} data-testid="save-compose">
          <Save aria-hidden /> {save.isPending ? "Saving and applying…" : check.isPending ? "Checking…" : "Save and apply…"}
        </Button>
      </div>

      {service.warnings?.length ? (
        <ul role="status" data-testid="compose-warnings" className="space-y-0.5 rounded-md border border-warning/60 bg-warning/10 p-2 text-sm">
          {service.warnings.map((w) => <li key={w}>compose: {w}</li>)}
        </ul>
      ) : null}

      {offer ? (
        <div role="status" data-testid="draft-offer" className="flex flex-col gap-2 rounded-md border border-info/50 bg-info/5 p-3 text-sm sm:flex-row sm:items-center">
          <History className="h-4 w-4 shrink-0" aria-hidden />
          <p className="flex-1">
            <strong>Unsaved changes from {clockTime(offer.draft.savedAt)} were kept.</strong>{" "}
            {offer.stale
              ? "The file changed on the server since; restore them to compare, and copy them before you reload."
              : "Restore them to continue where you left off."}
          </p>
          <div className="flex gap-2">
            <Button size="sm" variant="outline" onClick={dropOffer}>Throw away</Button>
            <Button size="sm" onClick={restore} data-testid="restore-draft">Restore</Button>
          </div>
        </div>
      ) : null}

      {conflict ? (
        <div role="alert" data-testid="conflict" className="flex flex-col gap-2 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm sm:flex-row sm:items-center">
          <p className="flex-1">
            <strong>This service changed meanwhile.</strong> Someone (or something) saved a newer version after you opened it.
            Reload to get it; copy your version first if you want to keep your edits.
          </p>
          <div className="flex gap-2">
            <Button size="sm" variant="outline" onClick={() => navigator.clipboard?.writeText(draft).then(() => toast("Your version is on the clipboard"))}>
              <Copy aria-hidden /> Copy mine
            </Button>
            <Button size="sm" onClick={reload} data-testid="reload">
              <RotateCcw aria-hidden /> Reload
            </Button>
          </div>
        </div>
      ) : dirty && changedOnServer ? (
        <p role="status" data-testid="changed-on-server" className="rounded-md border border-warning/60 bg-warning/10 p-2 text-sm">
          The file changed on the server since you opened it; saving will be refused until you reload.
        </p>
      ) : null}

      {error ? (
        <ErrorPanel
          error={error}
          onRetry={onSave}
          title={isValidationError(error) ? "The server did not accept this file" : applyFailed && error.status === 422 ? "The file could not be applied" : undefined}
        >
          {applyFailed && /previous definition was restored/.test(error.details ?? "") ? (
            <p className="text-xs">The previous version was put back and is running.</p>
          ) : null}
          {lineErrors[0] ? <p className="text-xs" data-testid="marked-line">Marked in the editor at line {lineErrors[0].line}.</p> : null}
        </ErrorPanel>
      ) : null}

      <div ref={editorBox}>
        <LazyCodeEditor
          value={draft}
          onChange={setDraft}
          errors={lineErrors}
          readOnly={!service.managed}
          onSave={onSave}
          label={`Compose file of ${service.name}`}
          describedBy="compose-keys"
        />
      </div>
      <p id="compose-keys" className="text-xs text-muted-foreground">Ctrl/⌘+S saves (after showing the changes). Tab indents; Esc then Tab leaves the editor.</p>
      <SavePreviewDialog
        preview={preview}
        onClose={() => setPreview(null)}
        title={`Save and apply stacks/${service.name}/compose.yaml?`}
        description={<p>sdmd writes exactly this change, validates it with docker compose and applies it; then commits it to git.</p>}
        confirmLabel="Save and apply"
        onConfirm={onConfirm}
      />
    </div>
  );
}
