"use client";

import { useMutation } from "@tanstack/react-query";
import { CheckCircle2, Download, Loader2 } from "lucide-react";
import { useEffect, useState } from "react";

import { ErrorPanel } from "@/components/error-panel";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { api, unwrap } from "@/lib/api/client";
import type { PullRead } from "@/lib/api/types";
import { planPull } from "@/lib/image-ref";

interface PullLog {
  ref: string;
  image: string;
  tag?: string;
  started: number;
  result?: PullRead;
  error?: unknown;
}

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  return <>{Math.floor((now - since) / 1000)} s</>;
}

/** `embedded`: a card on the images page, without a page heading of its own. */
export function PullImage({ embedded = false, onPulled }: { embedded?: boolean; onPulled?: () => void } = {}) {
  const [image, setImage] = useState("");
  const [tag, setTag] = useState("");
  const [touched, setTouched] = useState(false);
  const [history, setHistory] = useState<PullLog[]>([]);
  const pull = useMutation({
    // The host the server defaults to: this form has no host picker yet (issue 10's UI).
    mutationFn: async (body: { image: string; tag?: string }) =>
      (await unwrap(api.POST("/api/images/pull", { body: { host: "local", ...body } }))).data,
  });

  const plan = planPull(image, tag);
  const imageError = touched && !plan.ok && plan.field === "image" ? plan.error : null;
  const tagError = touched && !plan.ok && plan.field === "tag" ? plan.error : null;

  const run = async (img: string, tg: string | undefined, ref: string) => {
    const started = Date.now();
    setHistory((h) => [{ ref, image: img, tag: tg, started }, ...h.slice(0, 9)]);
    const update = (patch: Partial<PullLog>) => setHistory((h) => h.map((p) => (p.started === started ? { ...p, ...patch } : p)));
    try {
      update({ result: await pull.mutateAsync({ image: img, tag: tg }) });
      onPulled?.();
    } catch (exc) {
      update({ error: exc });
    }
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (!plan.ok) {
      document.getElementById(plan.field === "image" ? "img" : "tag")?.focus();
      return;
    }
    void run(plan.body.image, plan.body.tag, plan.ref);
  };

  return (
    <div className={embedded ? "space-y-4" : "mx-auto max-w-3xl space-y-4"}>
      {!embedded ? (
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Images</h1>
          <p className="text-sm text-muted-foreground">Pull an image onto this Docker engine, e.g. before switching a service to it.</p>
        </div>
      ) : null}
      <Card>
        <CardHeader><CardTitle>Pull an image</CardTitle><CardDescription>From the registry the reference names.</CardDescription></CardHeader>
        <CardContent>
          <form className="grid gap-4 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-start" onSubmit={submit} noValidate data-testid="pull-form">
            <Field id="img" label="Image" error={imageError}>
              <Input id="img" value={image} onChange={(e) => setImage(e.target.value)} placeholder="e.g. 127.0.0.1:5000/team/app:1" autoComplete="off" aria-invalid={!!imageError} />
            </Field>
            <Field id="tag" label="Tag" hint="if the image names none; default latest" error={tagError}>
              <Input id="tag" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="e.g. 1.2" autoComplete="off" aria-invalid={!!tagError} />
            </Field>
            <Button type="submit" className="sm:mt-6" disabled={pull.isPending} data-testid="pull">
              {pull.isPending ? <Loader2 className="animate-spin" aria-hidden /> : <Download aria-hidden />} Pull
            </Button>
          </form>
        </CardContent>
      </Card>

      <ul className="space-y-3" aria-live="polite" data-testid="pulls">
        {history.map((p) => (
          <li key={p.started}>
            <Card className="p-4 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                {p.result ? <CheckCircle2 className="h-4 w-4 text-success" aria-hidden /> : p.error ? null : <Loader2 className="h-4 w-4 animate-spin" aria-hidden />}
                <span className="font-mono font-medium break-all">{p.ref}</span>
                <span className="text-muted-foreground">
                  {p.result ? "pulled" : p.error ? "failed" : <>pulling… <Elapsed since={p.started} /></>}
                </span>
              </div>
              {!p.result && !p.error ? (
                <div className="mt-2 h-1.5 overflow-hidden rounded bg-muted" role="progressbar" aria-label={`Pulling ${p.ref}`}>
                  <div className="h-full w-1/3 animate-[pulse_1s_ease-in-out_infinite] rounded bg-primary" />
                </div>
              ) : null}
              {p.result ? (
                <div className="mt-2 space-y-1">
                  {p.result.digest ? <p className="break-all font-mono text-xs">digest {p.result.digest}</p> : null}
                  {p.result.image_id ? <p className="break-all font-mono text-xs text-muted-foreground">id {p.result.image_id}</p> : null}
                  <pre className="max-h-48 overflow-auto rounded bg-muted p-2 font-mono text-xs whitespace-pre-wrap" data-testid="pull-status">{p.result.status.join("\n")}</pre>
                </div>
              ) : null}
              {p.error ? <ErrorPanel error={p.error} className="mt-2" onRetry={() => run(p.image, p.tag, p.ref)} /> : null}
            </Card>
          </li>
        ))}
      </ul>
    </div>
  );
}
