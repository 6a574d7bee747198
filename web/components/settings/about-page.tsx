"use client";

import { ExternalLink } from "lucide-react";

import { LoadProblem } from "@/components/stale-notice";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { useAbout } from "@/lib/queries/settings";

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="grid grid-cols-[10rem_minmax(0,1fr)] gap-2 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0 break-words" data-testid={testId}>{children}</dd>
    </div>
  );
}

function External({ href, children, testId }: { href: string; children: React.ReactNode; testId: string }) {
  return (
    <a href={href} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 text-primary hover:underline" data-testid={testId}>
      {children} <ExternalLink className="h-3.5 w-3.5" aria-hidden /><span className="sr-only">(opens in a new tab)</span>
    </a>
  );
}

export function AboutPage() {
  const { data, error, refetch, isPending, dataUpdatedAt } = useAbout();
  return (
    <div className="space-y-4">
      <h2 className="text-lg font-semibold">About</h2>
      <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} />
      {isPending ? <Skeleton className="h-40" /> : data ? (
        <>
          <Card>
            <CardHeader><CardTitle>sdmd</CardTitle></CardHeader>
            <CardContent>
              <dl>
                <Row label="Version" testId="about-version">{data.version}</Row>
                <Row label="Python">{data.python}</Row>
                <Row label="Login">{data.auth_mode === "local" ? "built-in users" : "Supabase Auth"}</Row>
                <Row label="Hand edits in git">{data.gitops_apply === "auto" ? "applied automatically" : "wait for Apply"}</Row>
                <Row label="Docker engine" testId="about-docker">
                  {data.docker.version ? `${data.docker.version} (API ${data.docker.api_version})` : `not reachable: ${data.docker.error ?? "unknown"}`}
                </Row>
              </dl>
            </CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Links</CardTitle></CardHeader>
            <CardContent>
              <dl>
                <Row label="API documentation">
                  <External href={data.docs_url} testId="docs-link">OpenAPI at {data.docs_url}</External>
                </Row>
                <Row label="RQ dashboard">
                  {data.rq_dashboard_url ? (
                    <div className="space-y-1">
                      <External href={data.rq_dashboard_url} testId="rq-link">{data.rq_dashboard_url}</External>
                      <p className="text-xs text-muted-foreground">
                        Queues, workers and jobs of scheduled updates. It listens on the server&apos;s loopback only: open it there, or
                        through an SSH tunnel (ssh -L 9181:127.0.0.1:9181 host). SDMD_RQ_DASHBOARD_URL changes this link.
                      </p>
                    </div>
                  ) : <span className="text-muted-foreground">not configured (SDMD_RQ_DASHBOARD_URL is empty)</span>}
                </Row>
              </dl>
            </CardContent>
          </Card>
        </>
      ) : null}
    </div>
  );
}
