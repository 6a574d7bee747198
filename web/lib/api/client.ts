import createClient from "openapi-fetch";

import { session } from "@/lib/auth/session";
import { ApiError, errorFromBody, errorFromException, errorFromResponse } from "@/lib/api/errors";
import type { paths } from "@/lib/api/schema";
import { connection } from "@/lib/connection";

/** The session's fetch, noting whether sdmd answered (lib/connection.ts). */
async function trackedFetch(request: Request): Promise<Response> {
  try {
    const response = await session.fetch(request);
    connection.answered();
    return response;
  } catch (exc) {
    if (!(exc instanceof DOMException && exc.name === "AbortError")) connection.unanswered();
    throw exc;
  }
}

/** The typed client generated from sdmd's OpenAPI (scripts/gen_api.sh). */
export const api = createClient<paths>({
  baseUrl: typeof window !== "undefined" ? window.location.origin : "http://localhost",
  fetch: trackedFetch,
});

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Awaits an openapi-fetch call and returns its data, or throws one ApiError whatever went wrong. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<{ data: T; response: Response }> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (exc) {
    throw errorFromException(exc);
  }
  if (!result.response.ok) {
    throw errorFromBody(result.response.status, result.error, result.response.statusText);
  }
  return { data: result.data as T, response: result.response };
}

export interface RawOptions {
  method?: string;
  json?: unknown;
  body?: string;
  contentType?: string;
  accept?: string;
  query?: Record<string, string | number | boolean | null | undefined>;
  headers?: Record<string, string>;
}

export function withQuery(path: string, query: RawOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes("?") ? "&" : "?"}${qs}` : path;
}

/**
 * For endpoints the generated schema does not describe yet (parts built on other branches) and for
 * bodies openapi-fetch does not model (compose YAML, plain-text logs). Same auth, timeouts and errors.
 */
export async function raw(path: string, opts: RawOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  let body: string | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers.set("Content-Type", "application/json");
  } else if (opts.contentType) {
    headers.set("Content-Type", opts.contentType);
  }
  headers.set("Accept", opts.accept ?? "application/json");
  const origin = typeof window !== "undefined" ? window.location.origin : "http://localhost";
  let response: Response;
  try {
    response = await trackedFetch(
      new Request(new URL(withQuery(path, opts.query), origin), { method: opts.method ?? "GET", headers, body }),
    );
  } catch (exc) {
    throw errorFromException(exc);
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

export async function rawJson<T>(path: string, opts: RawOptions = {}): Promise<T> {
  const response = await raw(path, opts);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch (exc) {
    throw new ApiError("unexpected answer from sdmd", { status: response.status, details: String(exc) });
  }
}
