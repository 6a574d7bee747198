import { afterEach, describe, expect, it } from "vitest";

import { earlyFetchScript, takeEarly } from "@/lib/early-fetch";

type Win = { __sdmdEarly?: Record<string, { at: number; response: Promise<unknown> }> };

/** Runs the inline script as the browser would, with a given session and a recording fetch. */
function runScript(session: unknown, answer: { ok: boolean; body: unknown } | Error) {
  const win: Win = {};
  const calls: { url: string; auth: string }[] = [];
  const storage = { getItem: () => (session === undefined ? null : JSON.stringify(session)) };
  const fetch = (url: string, init: { headers: Record<string, string> }) => {
    calls.push({ url, auth: init.headers.Authorization ?? "" });
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve({ ok: answer.ok, json: async () => answer.body });
  };
  new Function("sessionStorage", "fetch", "window", earlyFetchScript("/api/services"))(storage, fetch, win);
  return { win, calls };
}

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
});

describe("early fetch", () => {
  it("starts the request with the session's token and hands the list over once", async () => {
    const { win, calls } = runScript({ access_token: "A", expires_at: null }, { ok: true, body: [{ id: "svc_1" }] });
    expect(calls).toEqual([{ url: "/api/services", auth: "Bearer A" }]);
    (globalThis as { window?: unknown }).window = win;
    expect(await takeEarly("/api/services")).toEqual([{ id: "svc_1" }]);
    expect(await takeEarly("/api/services")).toBeNull(); // later refreshes use the ordinary client
  });

  it("does nothing without a session or with a token about to expire", () => {
    expect(runScript(undefined, { ok: true, body: [] }).calls).toEqual([]);
    expect(runScript({ access_token: "A", expires_at: Date.now() + 5_000 }, { ok: true, body: [] }).calls).toEqual([]);
  });

  it("leaves failures (401, network) to the ordinary client", async () => {
    for (const answer of [{ ok: false, body: { error: "unauthorized" } }, new TypeError("Failed to fetch")]) {
      const { win } = runScript({ access_token: "A", expires_at: null }, answer);
      (globalThis as { window?: unknown }).window = win;
      expect(await takeEarly("/api/services")).toBeNull();
    }
  });

  it("ignores a response started too long ago", async () => {
    (globalThis as { window?: unknown }).window = {
      __sdmdEarly: { "/api/services": { at: Date.now() - 60_000, response: Promise.resolve([1]) } },
    } satisfies Win;
    expect(await takeEarly("/api/services")).toBeNull();
  });
});
