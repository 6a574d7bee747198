"use client";

import { FileCode2, ListChecks } from "lucide-react";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { LazyCodeEditor } from "@/components/lazy-editor";
import { SavePreviewDialog } from "@/components/save-preview";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, NativeSelect, Textarea } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { asApiError, type ApiError } from "@/lib/api/errors";
import type { DryRun } from "@/lib/api/types";
import { useCreateService, usePreviewCreate } from "@/lib/queries/services";
import {
  EMPTY_FORM, firstErrorField, formToBody, formToYaml, RESTART_POLICIES, validateForm, type FieldErrors,
  type ServiceFormValues,
} from "@/lib/service-form";
import { toast } from "@/lib/toast";
import { locateError, locateField, type LineError } from "@/lib/yaml-errors";

const FORM_KEYS = ["ports", "environment", "volumes", "restart", "image", "command"] as const;

/**
 * Maps a server error to a form field: the compose path of a runtime failure ("services.web.ports[0]"),
 * else a 422 about the shorthand ("services.web.ports: ...", "x.image is required").
 */
function fieldOf(error: ApiError): keyof ServiceFormValues | null {
  const key = error.field?.split(".")[2]?.replace(/\[\d+\]$/, "");
  if (key === "entrypoint") return "command";
  if (key && (FORM_KEYS as readonly string[]).includes(key)) return key as keyof ServiceFormValues;
  if (error.status !== 422) return null;
  const text = `${error.message} ${error.details ?? ""}`.toLowerCase();
  for (const key of FORM_KEYS) {
    if (text.includes(key)) return key;
  }
  return text.includes("name") ? "name" : null;
}

export function NewService() {
  const router = useRouter();
  const create = useCreateService();
  const check = usePreviewCreate();
  // The file a dry run says sdmd would write; creating sends exactly this text.
  const [preview, setPreview] = useState<DryRun | null>(null);
  const busy = create.isPending || check.isPending;
  const [mode, setMode] = useState<"form" | "yaml">("form");
  const [values, setValues] = useState<ServiceFormValues>(EMPTY_FORM);
  const [touched, setTouched] = useState(false);
  const [serverField, setServerField] = useState<FieldErrors>({});
  const [yaml, setYaml] = useState("");
  const [yamlErrors, setYamlErrors] = useState<LineError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  // Bumped on each refused submit: focus then moves to the first field with an error.
  const [focusTick, setFocusTick] = useState(0);
  const form = useRef<HTMLFormElement>(null);

  const errors: FieldErrors = touched ? { ...validateForm(values), ...serverField } : serverField;
  const set = (key: keyof ServiceFormValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => {
    setValues((v) => ({ ...v, [key]: e.target.value }));
    setServerField((f) => ({ ...f, [key]: undefined }));
  };

  useEffect(() => {
    if (!focusTick) return;
    const key = firstErrorField(errors);
    if (key) form.current?.querySelector<HTMLElement>(`#f-${key}`)?.focus();
    // only when a submit was refused, not on every keystroke
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusTick]);

  const created = (id: string, name: string) => {
    toast(`Created ${name}`, { variant: "success" });
    router.push(`/service/?id=${encodeURIComponent(id)}`);
  };

  const formFailed = (exc: unknown) => {
    const err = asApiError(exc);
    setError(err);
    const field = err.status === 409 ? "name" : fieldOf(err);
    if (field) {
      // A runtime failure's message already says it in words; a 422 about the shorthand says it in details.
      setServerField({ [field]: [err.field ? err.message : err.details ?? err.message] });
      setFocusTick((t) => t + 1);
    }
  };

  const yamlFailed = (exc: unknown, text: string) => {
    const err = asApiError(exc);
    setError(err);
    const located = err.status === 422
      ? locateField(text, err.field, err.message) ?? (err.field ? null : locateError(text, err.message, err.details))
      : null;
    setYamlErrors(located ? [located] : []);
  };

  // Both modes first ask sdmd what it would write (a dry run) and show it; creating sends that text.
  const submitForm = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(null);
    setServerField({});
    if (firstErrorField(validateForm(values))) {
      setFocusTick((t) => t + 1);
      return;
    }
    try {
      setPreview(await check.mutateAsync({ kind: "json", body: formToBody(values) }));
    } catch (exc) {
      formFailed(exc);
    }
  };

  const submitYaml = async () => {
    if (busy) return;
    setError(null);
    setYamlErrors([]);
    try {
      setPreview(await check.mutateAsync({ kind: "yaml", text: yaml }));
    } catch (exc) {
      yamlFailed(exc, yaml);
    }
  };

  const confirmCreate = async (shown: DryRun) => {
    setPreview(null);
    try {
      const service = await create.mutateAsync({ kind: "yaml", text: shown.compose, name: shown.name });
      created(service.id, service.name);
    } catch (exc) {
      if (mode === "form") formFailed(exc);
      else yamlFailed(exc, shown.compose);
    }
  };

  const switchMode = (m: string) => {
    if (m === "yaml" && !yaml.trim()) setYaml(formToYaml(values));
    setError(null);
    setMode(m as "form" | "yaml");
  };

  const fieldProps = (key: keyof ServiceFormValues) => ({
    id: `f-${key}`,
    value: values[key],
    onChange: set(key),
    "aria-invalid": !!errors[key]?.length,
    "aria-describedby": errors[key]?.length ? `f-${key}-error` : `f-${key}-hint`,
  });

  return (
    <div className="mx-auto max-w-3xl space-y-4">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">New service</h1>
        <p className="text-sm text-muted-foreground">
          sdmd writes <span className="font-mono">stacks/&lt;name&gt;/compose.yaml</span>, validates it with docker compose and starts it.
        </p>
      </div>
      <Tabs value={mode} onValueChange={switchMode}>
        <TabsList aria-label="How to describe the service">
          <TabsTrigger value="form"><ListChecks className="h-4 w-4" aria-hidden /> One container</TabsTrigger>
          <TabsTrigger value="yaml" data-testid="yaml-mode"><FileCode2 className="h-4 w-4" aria-hidden /> Compose YAML</TabsTrigger>
        </TabsList>
        <TabsContent value="form">
          <Card>
            <CardHeader>
              <CardTitle>Container</CardTitle>
              <CardDescription>For several containers, switch to Compose YAML (what you typed here comes along).</CardDescription>
            </CardHeader>
            <CardContent>
              <form ref={form} className="grid gap-4 sm:grid-cols-2" onSubmit={submitForm} noValidate data-testid="new-service-form">
                <Field id="f-name" label="Name" error={errors.name} hint="lowercase letters, digits, - and _">
                  <Input {...fieldProps("name")} autoComplete="off" autoFocus placeholder="e.g. web" />
                </Field>
                <Field id="f-image" label="Image" error={errors.image} hint="repository:tag">
                  <Input {...fieldProps("image")} autoComplete="off" placeholder="e.g. nginx:1.27" />
                </Field>
                <Field id="f-ports" label="Ports" error={errors.ports} hint="one HOST:CONTAINER a line, e.g. 8080:80">
                  <Textarea {...fieldProps("ports")} rows={3} placeholder="e.g. 8080:80" />
                </Field>
                <Field id="f-volumes" label="Volumes" error={errors.volumes} hint="one SOURCE:TARGET a line, e.g. data:/data">
                  <Textarea {...fieldProps("volumes")} rows={3} placeholder="e.g. data:/data" />
                </Field>
                <Field id="f-environment" label="Environment" error={errors.environment} hint="one KEY=value a line (KEY= for an empty value); values are not logged" className="sm:col-span-2">
                  <Textarea {...fieldProps("environment")} rows={4} placeholder={"e.g. TZ=Europe/Paris\nLOG_LEVEL=info"} spellCheck={false} />
                </Field>
                <Field id="f-command" label="Command (optional)" error={errors.command} hint="overrides the image's command">
                  <Input {...fieldProps("command")} autoComplete="off" placeholder="e.g. httpd -f -p 8080" />
                </Field>
                <Field id="f-restart" label="Restart policy" error={errors.restart}>
                  <NativeSelect id="f-restart" value={values.restart} onChange={set("restart")} aria-invalid={!!errors.restart?.length}>
                    {RESTART_POLICIES.map((p) => <option key={p} value={p}>{p}</option>)}
                  </NativeSelect>
                </Field>
                {error ? <ErrorPanel error={error} className="sm:col-span-2" clearOnReconnect /> : null}
                <div className="flex justify-end sm:col-span-2">
                  <Button type="submit" disabled={busy} data-testid="create-service">
                    {create.isPending ? "Creating and starting…" : check.isPending ? "Checking…" : "Create service…"}
                  </Button>
                </div>
              </form>
            </CardContent>
          </Card>
        </TabsContent>
        <TabsContent value="yaml" className="space-y-3">
          <LazyCodeEditor value={yaml} onChange={setYaml} errors={yamlErrors} onSave={submitYaml} label="New compose file" />
          {error ? (
            <ErrorPanel error={error} title={error.status === 422 ? "The server did not accept this file" : undefined}>
              {yamlErrors[0] ? <p className="text-xs">Marked in the editor at line {yamlErrors[0].line}.</p> : null}
            </ErrorPanel>
          ) : null}
          <div className="flex items-center justify-between gap-2">
            <p className="text-xs text-muted-foreground">The file needs a top-level <span className="font-mono">name:</span>.</p>
            <Button onClick={submitYaml} disabled={busy || !yaml.trim()} data-testid="create-yaml">
              {create.isPending ? "Creating and starting…" : check.isPending ? "Checking…" : "Create service…"}
            </Button>
          </div>
        </TabsContent>
      </Tabs>
      <SavePreviewDialog
        preview={preview}
        onClose={() => setPreview(null)}
        title={preview ? `Create ${preview.name}?` : "Create the service?"}
        description={<p>sdmd writes this file as <span className="font-mono">stacks/{preview?.name}/compose.yaml</span>, then starts it and commits it to git.</p>}
        confirmLabel="Create and start"
        onConfirm={confirmCreate}
      />
    </div>
  );
}
