"use client";

// The logs tab's live follow: GET /api/services/{id}/logs as an event stream (Docker's follow streams on the
// server, no polling). The stream resumes after a dropped connection from its Last-Event-ID cursor, so no
// line is lost or shown twice.

import { useEffect, useState } from "react";

import { withQuery } from "@/lib/api/client";
import type { ApiError } from "@/lib/api/errors";
import { follow, type FollowStatus } from "@/lib/live/sse";
import { appendLines, type LogLine } from "@/lib/logs";

export interface LogQuery {
  serviceId: string;
  container: string;
  tail: number;
  since?: string;
  until?: string;
}

export function logsPath(q: LogQuery, extra: Record<string, string | number | boolean | undefined> = {}): string {
  return withQuery(`/api/services/${encodeURIComponent(q.serviceId)}/logs`, {
    tail: q.tail, container: q.container || undefined, since: q.since, until: q.until, ...extra,
  });
}

export function useLogStream(q: LogQuery, live: boolean) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [status, setStatus] = useState<FollowStatus>("connecting");
  const [error, setError] = useState<ApiError | null>(null);
  const [complete, setComplete] = useState(false);
  const path = logsPath(q);
  useEffect(() => {
    if (!live) {
      setStatus("closed");
      return;
    }
    setComplete(false);
    setError(null);
    const handle = follow(path, {
      onStatus: (s, e) => {
        setStatus(s);
        setError(e ?? null);
      },
      onEvent: (ev) => {
        if (ev.event === "lines") {
          const data = JSON.parse(ev.data) as { lines: LogLine[]; backlog: boolean };
          setLines((shown) => appendLines(shown, data.lines, data.backlog));
        } else if (ev.event === "end" && JSON.parse(ev.data).reason === "complete") {
          setComplete(true);
          return false; // a bounded read (until): nothing more will come
        }
      },
    });
    return () => handle.close();
  }, [path, live]);
  return { lines, status, error, complete };
}
