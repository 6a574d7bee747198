"use client";

import { FileCode2, ListChecks } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { LazyCodeEditor } from "@/components/lazy-editor";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input, NativeSelect, Textarea } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { asApiError, type ApiError } from "@/lib/api/errors";
import { useCreateService } from "@/lib/queries/services";
import {
  EMPTY_FORM, formToBody, formToYaml, RESTART_POLICIES, validateForm, type FieldErrors, type ServiceFormValues,
} from "@/lib/service-form";
import { toast } from "@/lib/toast";
import { locateError, type LineError } from "@/lib/yaml-errors";

/** Maps a server 422 about the shorthand ("services.web.ports: ...", "x.image is required") to a form field. */
function fieldOf(error: ApiError): keyof ServiceFormValues | null {
  const text = `${error.message} ${error.details ?? ""}`.toLowerCase();
  for (const key of ["ports", "environment", "volumes", "restart", "image", "command"] as const) {
    if (text.includes(key)) return key;
  }
  return text.includes("name") ? "name" : null;
}

export function NewService() {
  const router = useRouter();
  const create = useCreateService();
  const [mode, setMode] = useState<"form" | "yaml">("form");
  const [values, setValues] = useState<ServiceFormValues>(EMPTY_FORM);
  const [touched, setTouched] = useState(false);
  const [serverField, setServerField] = useState<FieldErrors>({});
  const [yaml, setYaml] = useState("");
  const [yamlErrors, setYamlErrors] = useState<LineError[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  const errors = touched ? { ...validateForm(values), ...serverField } : serverField;
  const set = (key: keyof ServiceFormValues) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => {
    setValues((v) => ({ ...v, [key]: e.target.value }));
    setServerField((f) => ({ ...f, [key]: undefined }));
  };

  const created = (id: string, name: string) => {
    toast(`Created ${name}`, { variant: "success" });
    router.push(`/service/?id=${encodeURIComponent(id)}`);
  };

  const submitForm = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(null);
    setServerField({});
    if (Object.keys(validateForm(values)).length) return;
    try {
      const service = await create.mutateAsync({ kind: "json", body: formToBody(values) });
      created(service.id, service.name);
    } catch (exc) {
      const err = asApiError(exc);
      setError(err);
      const field = err.status === 422 ? fieldOf(err) : err.status === 409 ? "name" : null;
      if (field) setServerField({ [field]: err.details ?? err.message });
    }
  };

  const submitYaml = async () => {
    setError(null);
    setYamlErrors([]);
    try {
      const service = await create.mutateAsync({ kind: "yaml", text: yaml });
      created(service.id, service.name);
    } catch (exc) {
      const err = asApiError(exc);
      setError(err);
      const located = err.status === 422 ? locateError(yaml, err.message, err.details) : null;
      setYamlErrors(located ? [located] : []);
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
    "aria-invalid": !!errors[key],
    "aria-describedby": errors[key] ? `f-${key}-error` : `f-${key}-hint`,
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
              <form className="grid gap-4 sm:grid-cols-2" onSubmit={submitForm} noValidate data-testid="new-service-form">
                <Field id="f-name" label="Name" error={errors.name} hint="lowercase letters, digits, - and _">
                  <Input {...fieldProps("name")} autoComplete="off" autoFocus placeholder="web" />
                </Field>
                <Field id="f-image" label="Image" error={errors.image} hint="repository:tag">
                  <Input {...fieldProps("image")} autoComplete="off" placeholder="nginx:1.27" />
                </Field>
                <Field id="f-ports" label="Ports" error={errors.ports} hint="one HOST:CONTAINER a line, e.g. 8080:80">
                  <Textarea {...fieldProps("ports")} rows={3} placeholder="8080:80" />
                </Field>
                <Field id="f-volumes" label="Volumes" error={errors.volumes} hint="one SOURCE:TARGET a line, e.g. data:/data">
                  <Textarea {...fieldProps("volumes")} rows={3} placeholder="data:/data" />
                </Field>
                <Field id="f-environment" label="Environment" error={errors.environment} hint="one KEY=value a line; values are not logged" className="sm:col-span-2">
                  <Textarea {...fieldProps("environment")} rows={4} placeholder={"TZ=Europe/Paris\nLOG_LEVEL=info"} spellCheck={false} />
                </Field>
                <Field id="f-command" label="Command (optional)" error={errors.command} hint="overrides the image's command">
                  <Input {...fieldProps("command")} autoComplete="off" placeholder="httpd -f -p 8080" />
                </Field>
                <Field id="f-restart" label="Restart policy" error={errors.restart}>
                  <NativeSelect id="f-restart" value={values.restart} onChange={set("restart")}>
                    {RESTART_POLICIES.map((p) => <option key={p} value={p}>{p}</option>)}
                  </NativeSelect>
                </Field>
                {error ? <ErrorPanel error={error} className="sm:col-span-2" /> : null}
                <div className="flex justify-end sm:col-span-2">
                  <Button type="submit" disabled={create.isPending} data-testid="create-service">
                    {create.isPending ? "Creating and starting…" : "Create service"}
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
            <Button onClick={submitYaml} disabled={create.isPending || !yaml.trim()} data-testid="create-yaml">
              {create.isPending ? "Creating and starting…" : "Create service"}
            </Button>
          </div>
        </TabsContent>
      </Tabs>
    </div>
  );
}
