// The login session: tokens kept in sessionStorage for the tab's life, attached to every API call,
// refreshed shortly before they expire (or once after a 401), and dropped on logout or a refresh the
// server refuses, which sends the person back to the login page with a message. A refresh that gets no
// answer (the server restarting, a page being left, Chrome dropping requests when Docker adds a network)
// keeps the session: the call fails as any unanswered call does, and the next one tries again.

import { errorFromException, errorFromResponse } from "@/lib/api/errors";

export interface Tokens {
  access_token: string;
  refresh_token: string | null;
  /** epoch milliseconds */
  expires_at: number | null;
}

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number | null;
  refresh_token?: string | null;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type UnauthorizedReason = "expired" | "required";

export interface AuthOptions {
  store: () => KeyValueStore | null;
  fetch: (request: Request) => Promise<Response>;
  now?: () => number;
  onUnauthorized?: (reason: UnauthorizedReason) => void;
  /** A 403 step-up answer (RFC 9470): two-factor login is required and this session has not passed it. */
  onMfaRequired?: () => void;
  /** How long before expiry a token is refreshed ahead of a call. */
  refreshLeewayMs?: number;
  readTimeoutMs?: number;
  writeTimeoutMs?: number;
}

const KEY = "sdmd.session";
const NO_AUTH_PATHS = ["/auth/login", "/auth/refresh"];
/** What /auth/refresh answers for a refresh token that is dead (sdmd 401, GoTrue 400 invalid_grant). */
const REFRESH_REFUSED = [400, 401, 403];

export function tokensFrom(body: TokenResponse, now: number): Tokens {
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token ?? null,
    expires_at: body.expires_in ? now + body.expires_in * 1000 : null,
  };
}

export class AuthSession {
  private refreshing: Promise<Tokens | null> | null = null;
  private readonly now: () => number;
  private readonly leeway: number;

  constructor(private readonly opts: AuthOptions) {
    this.now = opts.now ?? Date.now;
    this.leeway = opts.refreshLeewayMs ?? 30_000;
  }

  get tokens(): Tokens | null {
    const raw = this.opts.store()?.getItem(KEY);
    if (!raw) return null;
    try {
      const parsed = JSON.parse(raw) as Tokens;
      return typeof parsed.access_token === "string" ? parsed : null;
    } catch {
      return null;
    }
  }

  save(tokens: Tokens): void {
    this.opts.store()?.setItem(KEY, JSON.stringify(tokens));
  }

  clear(): void {
    this.opts.store()?.removeItem(KEY);
  }

  get loggedIn(): boolean {
    return this.tokens !== null;
  }

  /** One refresh at a time: concurrent callers share the same attempt. */
  refresh(): Promise<Tokens | null> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<Tokens | null> {
    const current = this.tokens;
    if (!current?.refresh_token) return null;
    try {
      const response = await this.opts.fetch(
        new Request(absolute("/auth/refresh"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: current.refresh_token }),
          signal: AbortSignal.timeout(this.opts.readTimeoutMs ?? 30_000),
        }),
      );
      if (REFRESH_REFUSED.includes(response.status)) return null;
      if (!response.ok) throw await errorFromResponse(response);
      const next = tokensFrom((await response.json()) as TokenResponse, this.now());
      if (!next.refresh_token) next.refresh_token = current.refresh_token;
      this.save(next);
      return next;
    } catch (exc) {
      throw errorFromException(exc);
    }
  }

  private withAuth(request: Request, tokens: Tokens | null): Request {
    const headers = new Headers(request.headers);
    if (tokens) headers.set("Authorization", `Bearer ${tokens.access_token}`);
    // Event streams (live logs, stats, progress) stay open as long as they are wanted; the server's
    // keepalives and idle timeout bound them, not a request deadline.
    if (headers.get("Accept") === "text/event-stream") return new Request(request, { headers });
    const timeout = request.method === "GET" || request.method === "HEAD"
      ? this.opts.readTimeoutMs ?? 30_000
      : this.opts.writeTimeoutMs ?? 330_000;
    return new Request(request, { headers, signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeout)]) });
  }

  /** fetch for the API: bearer token, timeouts, refresh-and-retry once on 401. */
  readonly fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (NO_AUTH_PATHS.includes(path)) return this.opts.fetch(this.withAuth(request, null));

    let tokens = this.tokens;
    if (tokens?.expires_at && tokens.refresh_token && tokens.expires_at - this.now() < this.leeway) {
      // Ahead of expiry the current token still works: an unanswered refresh is tried again after a 401.
      tokens = (await this.refresh().catch(() => null)) ?? tokens;
    }
    const spare = request.clone();
    const response = await this.opts.fetch(this.withAuth(request, tokens));
    if (response.status === 403 && isStepUp(response)) this.opts.onMfaRequired?.();
    if (response.status !== 401) return response;

    if (!tokens) {
      this.opts.onUnauthorized?.("required");
      return response;
    }
    const renewed = tokens.refresh_token ? await this.refresh() : null;
    if (renewed) {
      const again = await this.opts.fetch(this.withAuth(spare, renewed));
      if (again.status !== 401) return again;
    }
    this.clear();
    this.opts.onUnauthorized?.("expired");
    return response;
  };
}

export function isStepUp(response: Response): boolean {
  return (response.headers.get("WWW-Authenticate") ?? "").includes("insufficient_user_authentication");
}

export function absolute(path: string): string {
  const origin = typeof window !== "undefined" ? window.location.origin : "http://localhost";
  return new URL(path, origin).toString();
}

export function loginUrl(reason: UnauthorizedReason | "logged_out", next?: string): string {
  const params = new URLSearchParams({ reason });
  if (next && next.startsWith("/") && !next.startsWith("/login")) params.set("next", next);
  return `/login/?${params.toString()}`;
}

function browserStore(): KeyValueStore | null {
  try {
    return typeof window !== "undefined" ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

let redirecting = false;

export const session = new AuthSession({
  store: browserStore,
  fetch: (request) => globalThis.fetch(request),
  onUnauthorized: (reason) => {
    if (typeof window === "undefined" || redirecting) return;
    if (window.location.pathname.startsWith("/login")) return;
    redirecting = true;
    window.location.assign(loginUrl(reason, window.location.pathname + window.location.search));
  },
  onMfaRequired: () => {
    if (typeof window === "undefined" || redirecting) return;
    if (window.location.pathname.startsWith("/settings/security")) return;
    redirecting = true;
    window.location.assign("/settings/security/?required=1");
  },
});
