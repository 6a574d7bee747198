// Every sdmd error body is {"error": "<plain words>", "details": "<technical>"}, plus "field" when it points
// at a part of the compose file ("services.web.ports[0]"); this turns any failure (an error body, a
// non-JSON body, a dropped connection, a timeout) into one shape the UI can show.

export type ErrorKind = "http" | "network" | "timeout";

export class ApiError extends Error {
  readonly status: number;
  readonly details: string | null;
  readonly kind: ErrorKind;
  /** The compose path the error points at, when sdmd knows it. */
  readonly field: string | null;
  /** When it happened (epoch ms): an error older than the server's next answer may be stale. */
  readonly at: number;

  constructor(
    message: string,
    opts: { status?: number; details?: string | null; kind?: ErrorKind; field?: string | null } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = opts.status ?? 0;
    this.details = opts.details ?? null;
    this.kind = opts.kind ?? "http";
    this.field = opts.field ?? null;
    this.at = Date.now();
  }

  /** sdmd itself did not answer (down, restarting, the network gone), as opposed to answering with an error. */
  get unanswered(): boolean {
    return this.kind !== "http";
  }

  /** Network failures, timeouts and 502/503/504 are worth retrying as they are. */
  get retryable(): boolean {
    return this.kind !== "http" || this.status === 502 || this.status === 503 || this.status === 504
      || this.status === 429;
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: "bad request",
  401: "please log in",
  403: "not allowed",
  404: "not found",
  405: "not supported by this server",
  409: "conflict",
  422: "invalid input",
  429: "too many requests, wait a moment",
  500: "internal error",
  502: "upstream error",
  503: "service unavailable",
  504: "timed out",
};

function asText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** Builds an ApiError from a response status and its body (already parsed, or raw text). */
export function errorFromBody(status: number, body: unknown, statusText = ""): ApiError {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    if (typeof record.error === "string" && record.error) {
      const field = typeof record.field === "string" && record.field ? record.field : null;
      return new ApiError(record.error, { status, details: asText(record.details), field });
    }
    if (record.detail !== undefined) {
      // FastAPI's own shape, should a route slip past sdmd's handlers.
      return new ApiError(STATUS_WORDS[status] ?? `error ${status}`, { status, details: asText(record.detail) });
    }
  }
  const text = typeof body === "string" ? body.trim() : asText(body);
  const looksLikeHtml = !!text && text.startsWith("<");
  return new ApiError(STATUS_WORDS[status] ?? (statusText || `error ${status}`), {
    status,
    details: looksLikeHtml ? `HTTP ${status} ${statusText}`.trim() : text,
  });
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return errorFromBody(response.status, body, response.statusText);
}

/** The server is down or restarting far more often than the person's own network is gone: no blame. */
export const NO_ANSWER = "sdmd does not answer: the server may be down or restarting";

/** A thrown fetch failure: abort by timeout, or the server could not be reached at all. */
export function errorFromException(exc: unknown): ApiError {
  if (exc instanceof ApiError) return exc;
  const name = exc instanceof Error ? exc.name : "";
  const message = exc instanceof Error ? exc.message : String(exc);
  if (name === "TimeoutError") {
    return new ApiError("the request timed out", { kind: "timeout", details: message });
  }
  if (name === "AbortError") {
    return new ApiError("the request was cancelled", { kind: "timeout", details: message });
  }
  return new ApiError(NO_ANSWER, { kind: "network", details: message });
}

export function asApiError(exc: unknown): ApiError {
  return exc instanceof ApiError ? exc : errorFromException(exc);
}
