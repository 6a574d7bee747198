"use client";

import { Copy, RotateCcw, Save } from "lucide-react";
import { useCallback, useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { LazyCodeEditor } from "@/components/lazy-editor";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { asApiError, type ApiError } from "@/lib/api/errors";
import type { Service } from "@/lib/api/types";
import { useSaveCompose, type ServiceWithEtag } from "@/lib/queries/services";
import { toast } from "@/lib/toast";
import { locateError, type LineError } from "@/lib/yaml-errors";

/**
 * The compose file editor. Saves with If-Match set to the ETag of the version it loaded, so a save never
 * silently overwrites a change made meanwhile (from another tab, by git, by a scheduled update).
 */
export function ComposePanel({ service, etag, onReload }: {
  service: Service;
  etag: string | null;
  onReload: () => Promise<ServiceWithEtag | undefined>;
}) {
  const serverText = service.compose ?? "";
  const [base, setBase] = useState({ text: serverText, etag });
  const [draft, setDraft] = useState(serverText);
  const [lineErrors, setLineErrors] = useState<LineError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState(false);
  const save = useSaveCompose(service.id);
  const dirty = draft !== base.text;
  const changedOnServer = etag !== null && base.etag !== null && etag !== base.etag;

  // Not editing: follow the server's version as it refreshes.
  useEffect(() => {
    if (!dirty && changedOnServer) {
      setBase({ text: serverText, etag });
      setDraft(serverText);
    }
  }, [dirty, changedOnServer, serverText, etag]);

  const onSave = useCallback(async () => {
    if (save.isPending || !service.managed) return;
    setError(null);
    setLineErrors([]);
    try {
      const result = await save.mutateAsync({ text: draft, etag: base.etag });
      const newText = result.service.compose ?? draft;
      setBase({ text: newText, etag: result.etag ?? (result.service.content_hash ? `"${result.service.content_hash}"` : null) });
      setDraft(newText);
      setConflict(false);
      toast("Saved and applied", { variant: "success", description: `${service.name} is ${result.service.status.replace("_", " ")}` });
    } catch (exc) {
      const e = asApiError(exc);
      if (e.status === 409 && /changed meanwhile/i.test(e.message)) {
        setConflict(true);
        return;
      }
      setError(e);
      const located = e.status === 422 ? locateError(draft, e.message, e.details) : null;
      setLineErrors(located ? [located] : []);
    }
  }, [save, draft, base.etag, service.managed, service.name]);

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
  };

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        <p className="mr-auto text-sm text-muted-foreground">
          <span className="font-mono">stacks/{service.name}/compose.yaml</span>
          {dirty ? <Badge variant="warning" className="ml-2">unsaved changes</Badge> : null}
        </p>
        <Button variant="outline" size="sm" onClick={discard} disabled={!dirty || save.isPending}>
          <RotateCcw aria-hidden /> Discard
        </Button>
        <Button size="sm" onClick={onSave} disabled={!dirty || save.isPending || !service.managed} data-testid="save-compose">
          <Save aria-hidden /> {save.isPending ? "Saving and applying…" : "Save and apply"}
        </Button>
      </div>

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
        <p role="status" className="rounded-md border border-warning/60 bg-warning/10 p-2 text-sm">
          The file changed on the server since you opened it; saving will be refused until you reload.
        </p>
      ) : null}

      {error ? (
        <ErrorPanel error={error} onRetry={onSave} title={error.status === 422 ? "The server did not accept this file" : undefined}>
          {lineErrors[0] ? <p className="text-xs">Marked in the editor at line {lineErrors[0].line}.</p> : null}
        </ErrorPanel>
      ) : null}

      <LazyCodeEditor
        value={draft}
        onChange={setDraft}
        errors={lineErrors}
        readOnly={!service.managed}
        onSave={onSave}
        label={`Compose file of ${service.name}`}
      />
      <p className="text-xs text-muted-foreground">Ctrl/⌘+S saves. Tab indents; Esc then Tab leaves the editor.</p>
    </div>
  );
}
