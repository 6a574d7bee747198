// Server-sent events over fetch: EventSource cannot send the Authorization header, and progress streams
// answer POST/PUT/DELETE. The parser is pure (tested in web/tests/sse.test.ts); `follow` reconnects with
// Last-Event-ID, so a log stream resumes where it was after a dropped connection.

import { errorFromBody, errorFromException, errorFromResponse, type ApiError } from "@/lib/api/errors";
import { session } from "@/lib/auth/session";

export interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Incremental parser: feed it text chunks as they arrive, get the complete events (spec: html.spec.whatwg.org). */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id: string | null = null;
  /** The last id seen (an event without `id:` keeps the previous one, as EventSource does). */
  lastId: string | null = null;
  retry: number | null = null;

  /** A new connection: drop a half-read event, keep the last id. */
  reset(): void {
    this.buffer = "";
    this.event = "";
    this.data = [];
    this.id = null;
  }

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let at: number;
    while ((at = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = this.buffer.slice(0, at);
      const sep = this.buffer.startsWith("\r\n", at) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[at] === "\r" && sep === 1 && at === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(at + sep);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === "") {
      if (!this.data.length) {
        this.event = "";
        return null;
      }
      const ev = { event: this.event || "message", data: this.data.join("\n"), id: this.id ?? this.lastId };
      this.event = "";
      this.data = [];
      this.id = null;
      return ev;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = this.lastId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }
}

export interface StreamOptions {
  method?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  lastEventId?: string | null;
  signal?: AbortSignal;
}

/** Opens one event stream and calls onEvent for each event until it ends; throws ApiError on a refusal. */
export async function readStream(path: string, onEvent: (ev: SseEvent) => void, opts: StreamOptions = {},
  parser = new SseParser()): Promise<void> {
  const headers = new Headers(opts.headers);
  headers.set("Accept", "text/event-stream");
  if (opts.contentType) headers.set("Content-Type", opts.contentType);
  if (opts.lastEventId) headers.set("Last-Event-ID", opts.lastEventId);
  let response: Response;
  try {
    response = await session.fetch(new Request(new URL(path, window.location.origin), {
      method: opts.method ?? "GET", headers, body: opts.body, signal: opts.signal,
    }));
  } catch (exc) {
    throw errorFromException(exc);
  }
  if (!response.ok) throw await errorFromResponse(response);
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    // Not a stream after all (an old server): hand its plain answer over as the final event.
    const text = await response.text();
    onEvent({ event: "result", data: JSON.stringify({ status: response.status, body: text ? JSON.parse(text) : null, headers: {} }), id: null });
    return;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const ev of parser.push(value)) onEvent(ev);
    }
  } catch (exc) {
    throw errorFromException(exc);
  } finally {
    reader.releaseLock();
  }
}

export type FollowStatus = "connecting" | "open" | "retrying" | "closed";

export interface FollowHandle {
  close(): void;
}

/**
 * Follows a GET event stream for as long as the caller wants it: reconnects after a network drop or an
 * `end` event (idle, shutdown, an expired token: the session refreshes it), sending Last-Event-ID.
 * A refusal that retrying cannot fix (404, 422) stops it and reports the error.
 */
export function follow(path: string, handlers: {
  /** Return false to stop following (e.g. a bounded log read that is complete). */
  onEvent: (ev: SseEvent) => boolean | void;
  onStatus?: (status: FollowStatus, error?: ApiError) => void;
}, opts: { backoffMs?: number; maxBackoffMs?: number } = {}): FollowHandle {
  const controller = new AbortController();
  const parser = new SseParser();
  let delay = opts.backoffMs ?? 1000;
  let stopped = false;
  const loop = async () => {
    while (!controller.signal.aborted && !stopped) {
      handlers.onStatus?.("connecting");
      let opened = false;
      parser.reset();
      try {
        await readStream(path, (ev) => {
          if (stopped) return;
          if (!opened) {
            opened = true;
            delay = opts.backoffMs ?? 1000;
            handlers.onStatus?.("open");
          }
          if (handlers.onEvent(ev) === false) {
            stopped = true;
            controller.abort();
          }
        }, { lastEventId: parser.lastId, signal: controller.signal }, parser);
      } catch (exc) {
        const error = exc as ApiError;
        if (controller.signal.aborted || stopped) break;
        if (error.kind === "http" && !error.retryable && error.status !== 401) {
          handlers.onStatus?.("closed", error);
          return;
        }
        handlers.onStatus?.("retrying", error);
      }
      if (controller.signal.aborted || stopped) break;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, opts.maxBackoffMs ?? 15_000);
    }
    handlers.onStatus?.("closed");
  };
  void loop();
  return { close: () => controller.abort() };
}

export function parseData<T>(ev: SseEvent): T {
  return JSON.parse(ev.data) as T;
}

export { errorFromBody };
