// Long operations (create, save, delete, restart, stop/start, apply, pull, update now) run as progress
// streams: the request is sent with `Accept: text/event-stream`, sdmd answers with its steps as they happen
// and the endpoint's own answer last. A global store keeps the operations for the progress panel;
// `summarize` (pure, tested) turns an operation's events into what the panel shows.

import { ApiError, errorFromBody } from "@/lib/api/errors";
import { readStream, type SseEvent } from "@/lib/live/sse";

export interface ProgressEvent {
  seq: number;
  t: number;
  kind: "accepted" | "step" | "compose" | "pull" | "layer" | "gate" | "output" | "job" | string;
  message?: string;
  object?: string;
  name?: string;
  status?: string;
  line?: string;
  id?: string;
  image?: string;
  current?: number | null;
  total?: number | null;
  waiting?: string[];
  reason?: string | null;
  elapsed?: number;
}

export interface OperationResult<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

export type OperationState = "running" | "ok" | "error";

export interface Operation {
  id: number;
  title: string;
  startedAt: number;
  /** ms from the call (the click) to the first event the browser parsed */
  firstEventMs: number | null;
  events: ProgressEvent[];
  state: OperationState;
  error: ApiError | null;
  finishedMs: number | null;
}

// -- what the panel shows ------------------------------------------------------------------------
export interface ObjectRow {
  key: string;
  object: string;
  name: string;
  status: string;
  history: string[];
}

export interface LayerRow {
  id: string;
  image: string | null;
  status: string;
  current: number | null;
  total: number | null;
}

export interface Summary {
  steps: string[];
  objects: ObjectRow[];
  layers: LayerRow[];
  gate: { status: string; detail: string } | null;
  output: string[];
  last: string | null;
}

const DONE_LAYER = new Set(["Pull complete", "Already exists", "Download complete"]);

export function summarize(events: ProgressEvent[]): Summary {
  const steps: string[] = [];
  const objects = new Map<string, ObjectRow>();
  const layers = new Map<string, LayerRow>();
  const output: string[] = [];
  let gate: Summary["gate"] = null;
  let last: string | null = null;
  for (const e of events) {
    if (e.kind === "step" && e.message) {
      steps.push(e.message);
      last = e.message;
    } else if (e.kind === "compose" && e.name && e.status) {
      const key = `${e.object}:${e.name}`;
      const row = objects.get(key) ?? { key, object: e.object ?? "", name: e.name, status: e.status, history: [] };
      row.status = e.status;
      if (row.history[row.history.length - 1] !== e.status) row.history.push(e.status);
      objects.set(key, row);
      last = `${e.name} ${e.status}`;
    } else if (e.kind === "layer" && e.id) {
      const row = layers.get(e.id) ?? { id: e.id, image: e.image ?? null, status: "", current: null, total: null };
      row.status = e.status ?? row.status;
      if (e.total) {
        row.current = e.current ?? row.current;
        row.total = e.total;
      }
      if (DONE_LAYER.has(row.status) && row.total) row.current = row.total;
      layers.set(e.id, row);
    } else if (e.kind === "pull" && e.status) {
      output.push(e.status);
    } else if (e.kind === "gate") {
      const detail = e.status === "waiting"
        ? `waiting ${Math.round(e.elapsed ?? 0)}s: ${(e.waiting ?? []).join(", ")}`
        : e.status === "failed" ? e.reason ?? "failed" : "every container passed";
      gate = { status: e.status ?? "", detail };
      last = `health gate: ${detail}`;
    } else if (e.kind === "output" && e.line) {
      output.push(e.line);
    } else if (e.kind === "job" && e.status) {
      last = `job ${e.status}`;
    }
  }
  return { steps, objects: [...objects.values()], layers: [...layers.values()], gate, output: output.slice(-50), last };
}

/** 0..1 over the layers whose size is known; null when none is. */
export function layerFraction(layers: LayerRow[]): number | null {
  const sized = layers.filter((l) => l.total);
  if (!sized.length) return null;
  const total = sized.reduce((n, l) => n + (l.total ?? 0), 0);
  const done = sized.reduce((n, l) => n + Math.min(l.current ?? 0, l.total ?? 0), 0);
  return total ? done / total : null;
}

// -- the store -------------------------------------------------------------------------------------
const KEEP = 8;
let operations: Operation[] = [];
let panelOpen = false;
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export const progressStore = {
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  operations: (): Operation[] => operations,
  open: (): boolean => panelOpen,
  setOpen(open: boolean): void {
    panelOpen = open;
    emit();
  },
  clear(): void {
    operations = operations.filter((o) => o.state === "running");
    emit();
  },
};

function update(id: number, patch: (op: Operation) => Operation) {
  operations = operations.map((o) => (o.id === id ? patch(o) : o));
  emit();
}

export interface OperationRequest {
  title: string;
  path: string;
  method: string;
  json?: unknown;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Runs one write as a progress stream; resolves with the endpoint's answer, rejects with its ApiError. */
export async function runOperation<T>(req: OperationRequest): Promise<OperationResult<T>> {
  const started = performance.now();
  const op: Operation = { id: nextId++, title: req.title, startedAt: Date.now(), firstEventMs: null, events: [],
    state: "running", error: null, finishedMs: null };
  operations = [op, ...operations].slice(0, KEEP);
  panelOpen = true;
  emit();
  let final: OperationResult<T> | null = null;
  let failure: ApiError | null = null;
  const onEvent = (ev: SseEvent) => {
    const data = JSON.parse(ev.data);
    if (op.firstEventMs === null) {
      op.firstEventMs = Math.round(performance.now() - started);
      update(op.id, (o) => ({ ...o, firstEventMs: op.firstEventMs }));
    }
    if (ev.event === "progress") update(op.id, (o) => ({ ...o, events: [...o.events, data as ProgressEvent] }));
    else if (ev.event === "result") final = data as OperationResult<T>;
    else if (ev.event === "error") failure = errorFromBody(data.status, { error: data.error, details: data.details, field: data.field });
  };
  try {
    await readStream(req.path, onEvent, {
      method: req.method,
      body: req.json !== undefined ? JSON.stringify(req.json) : req.body,
      contentType: req.json !== undefined ? "application/json" : req.contentType,
      headers: req.headers,
    });
  } catch (exc) {
    failure = exc instanceof ApiError ? exc : new ApiError(String(exc), { kind: "network" });
  }
  const finishedMs = Math.round(performance.now() - started);
  if (!failure && !final) {
    failure = new ApiError("the connection to sdmd ended before the result", {
      kind: "network", details: "the operation may still have finished: reload to see the service's state",
    });
  }
  if (failure) {
    const error = failure;
    update(op.id, (o) => ({ ...o, state: "error", error, finishedMs }));
    panelOpen = true;
    emit();
    throw error;
  }
  update(op.id, (o) => ({ ...o, state: "ok", finishedMs }));
  return final!;
}
