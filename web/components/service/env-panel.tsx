"use client";

import { Eye, EyeOff, FileCode, Plus, RotateCcw, Save, Table2, Trash2 } from "lucide-react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input, Textarea } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { asApiError, type ApiError } from "@/lib/api/errors";
import type { EnvFile, Service } from "@/lib/api/types";
import {
  MASK, newRowId, parseEnvFile, rowProblems, serializeEnv, type EnvEntry, type EnvItem,
} from "@/lib/env-file";
import { useEnvFile, useSaveEnvFile } from "@/lib/queries/env-file";
import { StaleNotice } from "@/components/stale-notice";
import { toast } from "@/lib/toast";
import { unsaved } from "@/lib/unsaved";

/** The ${VARIABLES} compose.yaml interpolates (COMPOSE_* aside), in order of first use. */
function composeVariables(compose: string | null | undefined): string[] {
  const names = new Set<string>();
  for (const m of (compose ?? "").matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1] ?? m[2];
    if (name && !name.startsWith("COMPOSE_") && !(m.index && compose?.[m.index - 1] === "$")) names.add(name);
  }
  return [...names];
}

function EnvEditor({ service, file }: { service: Service; file: EnvFile }) {
  const save = useSaveEnvFile(service.id);
  const [base, setBase] = useState(file);
  const [items, setItems] = useState<EnvItem[]>(() => parseEnvFile(file.content).items);
  const [textMode, setTextMode] = useState(false);
  const [text, setText] = useState(file.content);
  const [reveal, setReveal] = useState(false);
  const [shown, setShown] = useState<Set<string>>(new Set());
  const [error, setError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState(false);
  const [warnings, setWarnings] = useState<string[]>([]);

  const current = textMode ? text : serializeEnv(items);
  const dirty = current !== base.content;
  const problems = useMemo(() => (textMode ? parseEnvFile(text).problems : []), [textMode, text]);
  const rowErrors = useMemo(() => (textMode ? new Map<string, string>() : rowProblems(items)), [textMode, items]);
  const blocked = problems.length > 0 || rowErrors.size > 0;
  const defined = new Set(items.filter((i): i is EnvEntry => i.kind === "entry").map((i) => i.key));
  const missing = textMode ? [] : composeVariables(service.compose).filter((v) => !defined.has(v));

  // Not editing: follow the server's file as it changes (another tab, git, a restore).
  useEffect(() => {
    if (!dirty && file.etag !== base.etag) {
      setBase(file);
      setItems(parseEnvFile(file.content).items);
      setText(file.content);
    }
  }, [file, base.etag, dirty]);

  const box = useRef<HTMLDivElement>(null);
  // After Discard or "Keep editing", focus goes to the variables (the text, the first name, or Add).
  const focusEditor = useCallback(() => {
    requestAnimationFrame(() => box.current?.querySelector<HTMLElement>(
      "[data-testid=env-text], [data-testid=env-key], [data-testid=env-add]")?.focus());
  }, []);

  // Guarded like the compose editor (components/unsaved-guard.tsx) when leaving the page; this editor
  // stays mounted while other tabs show, so a tab switch keeps the edit and does not ask. No draft is
  // kept in sessionStorage: the values are often secrets.
  useEffect(() => {
    const owner = `env:${service.id}`;
    unsaved.set(owner, dirty ? { what: `stacks/${file.path}`, onStay: focusEditor, keptOnTabSwitch: true } : null);
    return () => unsaved.set(owner, null);
  }, [dirty, service.id, file.path, focusEditor]);

  const setEntry = (id: string, patch: Partial<EnvEntry>) =>
    setItems((all) => all.map((i) => (i.kind === "entry" && i.id === id ? { ...i, ...patch } : i)));
  const addRow = (key = "") => {
    const id = newRowId();
    setItems((all) => [...all, { kind: "entry", id, key, value: "" }]);
    setShown((s) => new Set(s).add(id)); // a value being typed is visible to the one typing it
  };
  const switchMode = (toText: boolean) => {
    if (toText) {
      setText(serializeEnv(items));
      setReveal(true);
    } else {
      const parsed = parseEnvFile(text);
      if (parsed.problems.length) return; // stay in text mode until it reads cleanly
      setItems(parsed.items);
    }
    setTextMode(toText);
  };

  const reset = (to: EnvFile) => {
    setBase(to);
    setItems(parseEnvFile(to.content).items);
    setText(to.content);
    setError(null);
    setConflict(false);
  };

  const onSave = async () => {
    if (blocked || save.isPending) return;
    setError(null);
    setWarnings([]);
    try {
      const saved = await save.mutateAsync({ content: current, etag: base.etag });
      reset(saved);
      setWarnings(saved.warnings ?? []);
      toast("Saved and applied the .env", { variant: "success", description: `${saved.keys.length} variable${saved.keys.length === 1 ? "" : "s"}` });
    } catch (exc) {
      const e = asApiError(exc);
      if (e.status === 409 && /changed meanwhile/.test(e.message)) setConflict(true);
      else setError(e);
    }
  };

  const entries = items.filter((i): i is EnvEntry => i.kind === "entry");
  return (
    <div className="space-y-3" data-testid="env-panel" ref={box}>
      <div className="flex flex-wrap items-center gap-2">
        <p className="mr-auto text-sm text-muted-foreground">
          <span className="font-mono">stacks/{file.path}</span>
          {!base.exists ? <Badge variant="muted" className="ml-2">no file yet</Badge> : null}
          {dirty ? <Badge variant="warning" className="ml-2" data-testid="env-dirty">unsaved changes</Badge> : null}
        </p>
        <label className="flex items-center gap-2 text-sm">
          <Switch checked={reveal} onCheckedChange={setReveal} disabled={textMode} aria-label="Show values" data-testid="env-reveal" />
          Show values
        </label>
        <Button variant="outline" size="sm" onClick={() => switchMode(!textMode)} disabled={textMode && problems.length > 0} data-testid="env-mode">
          {textMode ? <><Table2 aria-hidden /> Edit as table</> : <><FileCode aria-hidden /> Edit as text</>}
        </Button>
        <Button variant="outline" size="sm" onClick={() => { reset(base); focusEditor(); }} disabled={!dirty || save.isPending} data-testid="env-discard">
          <RotateCcw aria-hidden /> Discard
        </Button>
        <Button size="sm" onClick={onSave} disabled={!dirty || blocked || save.isPending} data-testid="env-save">
          <Save aria-hidden /> {save.isPending ? "Saving and applying…" : "Save and apply"}
        </Button>
      </div>
      <p className="text-xs text-muted-foreground">
        compose fills <span className="font-mono">{"${NAME}"}</span> in compose.yaml from this file. Saving checks the stack with it, recreates
        what changed and commits it to git (so a git remote receives it too); the audit log records the names, never the values.
      </p>

      {conflict ? (
        <div role="alert" className="flex flex-col gap-2 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm sm:flex-row sm:items-center" data-testid="env-conflict">
          <p className="flex-1"><strong>The .env changed meanwhile.</strong> Reload to get the new version (your edits are lost), or copy them first.</p>
          <Button size="sm" onClick={() => reset(file)}><RotateCcw aria-hidden /> Reload</Button>
        </div>
      ) : null}
      {error ? <ErrorPanel error={error} onRetry={onSave} title={error.status === 422 ? "The server did not accept this .env" : undefined} /> : null}
      {warnings.length ? (
        <ul role="status" className="space-y-1 rounded-md border border-warning/60 bg-warning/10 p-3 text-sm" data-testid="env-warnings">
          {warnings.map((w) => <li key={w}>compose: {w}</li>)}
        </ul>
      ) : null}

      {textMode ? (
        <div className="space-y-2">
          <Textarea value={text} onChange={(e) => setText(e.target.value)} rows={Math.min(24, Math.max(8, text.split("\n").length + 1))}
            spellCheck={false} aria-label={`.env of ${service.name}`} data-testid="env-text" aria-invalid={problems.length > 0} />
          {problems.length ? (
            <ul role="alert" className="space-y-0.5 text-xs text-destructive">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
          ) : null}
        </div>
      ) : (
        <div className="space-y-2">
          {entries.length ? (
            <div className="overflow-x-auto rounded-md border">
              <table className="w-full text-left text-sm" data-testid="env-table">
                <caption className="sr-only">Variables of the .env</caption>
                <thead className="border-b text-xs text-muted-foreground">
                  <tr>
                    <th scope="col" className="w-2/5 px-3 py-2 font-medium">Name</th>
                    <th scope="col" className="px-3 py-2 font-medium">Value</th>
                    <th scope="col" className="w-20 px-3 py-2"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((e) => {
                    const visible = reveal || shown.has(e.id);
                    const rowError = rowErrors.get(e.id);
                    return (
                      <tr key={e.id} className="border-b align-top last:border-b-0" data-testid="env-row" data-key={e.key}>
                        <td className="px-3 py-1.5">
                          <Input value={e.key} onChange={(ev) => setEntry(e.id, { key: ev.target.value.trim() })} aria-label="Name"
                            className="font-mono" aria-invalid={!!rowError} spellCheck={false} data-testid="env-key" />
                          {rowError ? <p role="alert" className="mt-1 text-xs text-destructive">{rowError}</p> : null}
                        </td>
                        <td className="px-3 py-1.5">
                          {e.value.includes("\n") && visible ? (
                            <Textarea value={e.value} onChange={(ev) => setEntry(e.id, { value: ev.target.value })} aria-label={`Value of ${e.key}`} rows={3} />
                          ) : (
                            <Input type={visible ? "text" : "password"} value={e.value}
                              onChange={(ev) => setEntry(e.id, { value: ev.target.value })} aria-label={`Value of ${e.key || "new variable"}`}
                              className="font-mono" autoComplete="off" spellCheck={false} data-testid="env-value"
                              data-1p-ignore data-lpignore="true" />
                          )}
                        </td>
                        <td className="whitespace-nowrap px-3 py-1.5 text-right">
                          <Button variant="ghost" size="icon" disabled={reveal} aria-pressed={visible}
                            aria-label={visible ? `Hide the value of ${e.key}` : `Show the value of ${e.key}`}
                            onClick={() => setShown((s) => { const n = new Set(s); if (n.has(e.id)) n.delete(e.id); else n.add(e.id); return n; })}>
                            {visible ? <EyeOff aria-hidden /> : <Eye aria-hidden />}
                          </Button>
                          <Button variant="ghost" size="icon" aria-label={`Remove ${e.key || "this variable"}`}
                            onClick={() => setItems((all) => all.filter((i) => !(i.kind === "entry" && i.id === e.id)))}>
                            <Trash2 aria-hidden />
                          </Button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : <p className="rounded-md border border-dashed p-4 text-sm text-muted-foreground">No variables yet.</p>}
          <div className="flex flex-wrap items-center gap-2">
            <Button variant="outline" size="sm" onClick={() => addRow()} data-testid="env-add"><Plus aria-hidden /> Add variable</Button>
            {missing.length ? (
              <p className="text-xs text-muted-foreground">
                compose.yaml also uses:{" "}
                {missing.map((name) => (
                  <button key={name} type="button" onClick={() => addRow(name)} className="mr-1 rounded border px-1.5 py-0.5 font-mono hover:bg-muted cursor-pointer"
                    aria-label={`Add ${name}`}>+ {name}</button>
                ))}
              </p>
            ) : null}
          </div>
          {!reveal && entries.some((e) => e.value) ? <p className="sr-only">Values are hidden ({MASK}); use Show values to read them.</p> : null}
        </div>
      )}
    </div>
  );
}

/** The .env tab: loads the file, then the editor (masked values by default). */
export default function EnvPanel({ service }: { service: Service }) {
  const { data, error, isPending, refetch, dataUpdatedAt, isFetching } = useEnvFile(service.id);
  if (isPending) return <Skeleton className="h-40" />;
  // A failed refresh keeps the editor and its unsaved edits; only a first load that failed shows the error.
  if (!data) return <ErrorPanel error={error} onRetry={() => refetch()} autoRetry />;
  return (
    <div className="space-y-3">
      {error ? <StaleNotice error={error} updatedAt={dataUpdatedAt} fetching={isFetching} onRetry={() => refetch()} /> : null}
      <EnvEditor service={service} file={data} />
    </div>
  );
}
