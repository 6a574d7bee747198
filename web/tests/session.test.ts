import { describe, expect, it } from "vitest";

import { AuthSession, loginUrl, type KeyValueStore } from "@/lib/auth/session";

class MemoryStore implements KeyValueStore {
  data = new Map<string, string>();
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
  removeItem(k: string) { this.data.delete(k); }
}

interface Seen { path: string; auth: string | null; body: string }

/** A tiny stand-in for the server: answers by path, records what it was sent. */
function server(handler: (path: string, auth: string | null, body: string) => Response) {
  const seen: Seen[] = [];
  const fetch = async (request: Request) => {
    const path = new URL(request.url).pathname;
    const auth = request.headers.get("Authorization");
    const body = request.method === "GET" ? "" : await request.text();
    seen.push({ path, auth, body });
    return handler(path, auth, body);
  };
  return { seen, fetch };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

function setup(handler: Parameters<typeof server>[0], now = () => 1_000_000) {
  const store = new MemoryStore();
  const srv = server(handler);
  const reasons: string[] = [];
  const auth = new AuthSession({ store: () => store, fetch: srv.fetch, now, onUnauthorized: (r) => reasons.push(r) });
  return { store, srv, reasons, auth };
}

describe("AuthSession", () => {
  it("sends the bearer token", async () => {
    const { auth, srv } = setup(() => json([]));
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    const res = await auth.fetch(new Request("http://x/api/services"));
    expect(res.status).toBe(200);
    expect(srv.seen[0]?.auth).toBe("Bearer A");
  });

  it("refreshes once on 401 and retries the same request with its body", async () => {
    const { auth, srv, reasons } = setup((path, authz) => {
      if (path === "/auth/refresh") return json({ access_token: "B", expires_in: 900 });
      return authz === "Bearer B" ? json({ ok: true }, 201) : json({ error: "unauthorized" }, 401);
    });
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    const res = await auth.fetch(new Request("http://x/api/services", { method: "POST", body: '{"name":"a"}' }));
    expect(res.status).toBe(201);
    expect(srv.seen.map((s) => s.path)).toEqual(["/api/services", "/auth/refresh", "/api/services"]);
    expect(srv.seen[1]?.body).toBe('{"refresh_token":"R"}');
    expect(srv.seen[2]?.body).toBe('{"name":"a"}');
    expect(auth.tokens?.access_token).toBe("B");
    expect(auth.tokens?.refresh_token).toBe("R"); // kept when the server does not rotate it
    expect(reasons).toEqual([]);
  });

  it("drops the session and reports expiry when the refresh fails", async () => {
    const { auth, reasons } = setup((path) =>
      path === "/auth/refresh" ? json({ error: "invalid refresh token" }, 401) : json({ error: "unauthorized" }, 401));
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    const res = await auth.fetch(new Request("http://x/api/services"));
    expect(res.status).toBe(401);
    expect(auth.tokens).toBeNull();
    expect(reasons).toEqual(["expired"]);
  });

  it("keeps the session when the refresh gets no answer, and the call fails as unanswered", async () => {
    let refreshFails = true;
    const { auth, reasons } = setup((path, authz) => {
      if (path === "/auth/refresh") {
        if (refreshFails) throw new TypeError("Failed to fetch"); // what fetch throws for net::ERR_*
        return json({ access_token: "B", expires_in: 900 });
      }
      return authz === "Bearer B" ? json([]) : json({ error: "unauthorized" }, 401);
    });
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    await expect(auth.fetch(new Request("http://x/api/services"))).rejects.toMatchObject({ kind: "network" });
    expect(auth.tokens?.refresh_token).toBe("R");
    expect(reasons).toEqual([]);
    refreshFails = false; // the next call refreshes and goes through
    expect((await auth.fetch(new Request("http://x/api/services"))).status).toBe(200);
    expect(auth.tokens?.access_token).toBe("B");
  });

  it("keeps the session when the refresh meets a server error, and drops it when the refresh is refused", async () => {
    let refreshStatus = 503;
    const { auth, reasons } = setup((path) =>
      path === "/auth/refresh" ? json({ error: "database unavailable" }, refreshStatus) : json({ error: "unauthorized" }, 401));
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    await expect(auth.fetch(new Request("http://x/api/services"))).rejects.toMatchObject({ status: 503 });
    expect(auth.loggedIn).toBe(true);
    expect(reasons).toEqual([]);
    refreshStatus = 400; // GoTrue's answer for a dead refresh token (invalid_grant)
    expect((await auth.fetch(new Request("http://x/api/services"))).status).toBe(401);
    expect(auth.tokens).toBeNull();
    expect(reasons).toEqual(["expired"]);
  });

  it("goes on with the current token when a refresh ahead of expiry gets no answer", async () => {
    const { auth, srv } = setup((path) => {
      if (path === "/auth/refresh") throw new TypeError("Failed to fetch");
      return json([]);
    });
    auth.save({ access_token: "A", refresh_token: "R", expires_at: 1_000_000 + 10_000 });
    expect((await auth.fetch(new Request("http://x/api/services"))).status).toBe(200);
    expect(srv.seen.at(-1)?.auth).toBe("Bearer A");
    expect(auth.tokens?.access_token).toBe("A");
  });

  it("asks for a login when there was no session at all", async () => {
    const { auth, reasons, srv } = setup(() => json({ error: "unauthorized" }, 401));
    await auth.fetch(new Request("http://x/api/services"));
    expect(srv.seen[0]?.auth).toBeNull();
    expect(reasons).toEqual(["required"]);
  });

  it("refreshes ahead of expiry, and concurrent calls share one refresh", async () => {
    let refreshes = 0;
    const { auth, srv } = setup((path) => {
      if (path === "/auth/refresh") {
        refreshes += 1;
        return json({ access_token: "B", expires_in: 900, refresh_token: "R2" });
      }
      return json([]);
    });
    auth.save({ access_token: "A", refresh_token: "R", expires_at: 1_000_000 + 10_000 });
    await Promise.all([auth.fetch(new Request("http://x/api/a")), auth.fetch(new Request("http://x/api/b"))]);
    expect(refreshes).toBe(1);
    expect(srv.seen.filter((s) => s.path.startsWith("/api")).every((s) => s.auth === "Bearer B")).toBe(true);
    expect(auth.tokens).toEqual({ access_token: "B", refresh_token: "R2", expires_at: 1_000_000 + 900_000 });
  });

  it("does not attach a token or retry on the login call itself", async () => {
    const { auth, srv, reasons } = setup(() => json({ error: "invalid credentials" }, 401));
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    const res = await auth.fetch(new Request("http://x/auth/login", { method: "POST", body: "{}" }));
    expect(res.status).toBe(401);
    expect(srv.seen).toHaveLength(1);
    expect(srv.seen[0]?.auth).toBeNull();
    expect(reasons).toEqual([]);
  });
});

describe("loginUrl", () => {
  it("keeps a safe return path only", () => {
    expect(loginUrl("expired", "/service/?id=svc_1")).toBe("/login/?reason=expired&next=%2Fservice%2F%3Fid%3Dsvc_1");
    expect(loginUrl("expired", "https://evil.example/")).toBe("/login/?reason=expired");
    expect(loginUrl("required", "/login/?x")).toBe("/login/?reason=required");
  });
});

describe("two-factor step-up", () => {
  it("a 403 with the RFC 9470 signal asks for enrolment; other 403s do not, and neither logs out", async () => {
    const stepUp = { "WWW-Authenticate": 'Bearer error="insufficient_user_authentication"' };
    const store = new MemoryStore();
    let calls = 0;
    const asked: string[] = [];
    const auth = new AuthSession({
      store: () => store,
      fetch: async (request) => {
        calls += 1;
        return new URL(request.url).pathname === "/api/services"
          ? new Response(JSON.stringify({ error: "two-factor authentication required" }), { status: 403, headers: stepUp })
          : new Response(JSON.stringify({ error: "a login session is needed" }), { status: 403 });
      },
      onMfaRequired: () => asked.push("mfa"),
      onUnauthorized: (r) => asked.push(r),
    });
    auth.save({ access_token: "A", refresh_token: "R", expires_at: null });
    expect((await auth.fetch(new Request("http://x/api/services"))).status).toBe(403);
    expect((await auth.fetch(new Request("http://x/api/security/tokens", { method: "POST" }))).status).toBe(403);
    expect(asked).toEqual(["mfa"]);
    expect(calls).toBe(2); // no refresh attempt: the session is fine, it lacks a second factor
    expect(auth.loggedIn).toBe(true);
  });
});
