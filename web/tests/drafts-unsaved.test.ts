import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, errorFromException } from "@/lib/api/errors";
import { answeredSince, clockTime, connection } from "@/lib/connection";
import { clearAllDrafts, clearDraft, draftOffer, loadDraft, saveDraft } from "@/lib/drafts";
import { reconnectInterval, RECONNECT_MS } from "@/lib/query-client";
import { internalDestination, unsaved } from "@/lib/unsaved";

class MemoryStore {
  data = new Map<string, string>();
  get length() { return this.data.size; }
  key(i: number) { return [...this.data.keys()][i] ?? null; }
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
  removeItem(k: string) { this.data.delete(k); }
}

describe("drafts", () => {
  it("keeps one draft per service with the ETag it started from", () => {
    const store = new MemoryStore();
    saveDraft({ serviceId: "svc_a", etag: '"e1"', text: "services: {}\n" }, 1000, store);
    saveDraft({ serviceId: "svc_b", etag: null, text: "b" }, 2000, store);
    expect(loadDraft("svc_a", store)).toEqual({ serviceId: "svc_a", etag: '"e1"', text: "services: {}\n", savedAt: 1000 });
    expect(loadDraft("svc_c", store)).toBeNull();
    clearDraft("svc_a", store);
    expect(loadDraft("svc_a", store)).toBeNull();
    store.setItem("sdmd.session", "tokens");
    clearAllDrafts(store);
    expect([...store.data.keys()]).toEqual(["sdmd.session"]);
  });

  it("ignores what it cannot read", () => {
    const store = new MemoryStore();
    store.setItem("sdmd.draft.svc_a", "{not json");
    expect(loadDraft("svc_a", store)).toBeNull();
    store.setItem("sdmd.draft.svc_a", JSON.stringify({ serviceId: "svc_other", text: "x" }));
    expect(loadDraft("svc_a", store)).toBeNull();
  });

  it("offers a draft that differs from the server, and says when the server moved on", () => {
    const draft = { serviceId: "svc_a", etag: '"e1"', text: "mine", savedAt: 1 };
    expect(draftOffer(draft, "mine", '"e2"')).toBeNull();
    expect(draftOffer(null, "x", '"e1"')).toBeNull();
    expect(draftOffer(draft, "theirs", '"e1"')).toEqual({ draft, stale: false });
    expect(draftOffer(draft, "theirs", '"e2"')).toEqual({ draft, stale: true });
  });
});

describe("unsaved edits guard", () => {
  afterEach(() => unsaved.reset());

  it("runs a navigation at once without edits, and only after a choice with them", () => {
    const go = vi.fn();
    expect(unsaved.guard(go)).toBe(true);
    expect(go).toHaveBeenCalledTimes(1);
    unsaved.set("compose:svc_a", { what: "stacks/a/compose.yaml" });
    expect(unsaved.guard(go)).toBe(false);
    expect(unsaved.pending).not.toBeNull();
    unsaved.stay();
    expect(go).toHaveBeenCalledTimes(1);
    expect(unsaved.dirty).toBe(true);
    unsaved.guard(go);
    unsaved.leave();
    expect(go).toHaveBeenCalledTimes(2);
    expect(unsaved.dirty).toBe(false);
  });

  it("tells listeners when edits come and go", () => {
    const seen: boolean[] = [];
    const stop = unsaved.subscribe(() => seen.push(unsaved.dirty));
    unsaved.set("a", { what: "a" });
    unsaved.set("a", { what: "a" });
    unsaved.set("a", null);
    stop();
    expect(seen).toEqual([true, false]);
  });

  it("asks a tab switch only about editors that a tab switch unmounts, and drops only what it asked about", () => {
    const go = vi.fn();
    const dropped: string[] = [];
    unsaved.set("env:svc_a", { what: "stacks/a/.env", keptOnTabSwitch: true, onLeave: () => dropped.push("env") });
    expect(unsaved.guard(go, "tab")).toBe(true); // the .env editor stays mounted: its edit survives
    expect(go).toHaveBeenCalledTimes(1);
    unsaved.set("compose:svc_a", { what: "stacks/a/compose.yaml", onLeave: () => dropped.push("old") });
    unsaved.set("compose:svc_a", { what: "stacks/a/compose.yaml", onLeave: () => dropped.push("compose") });
    expect(unsaved.guard(go, "tab")).toBe(false);
    expect(unsaved.pending?.edits.map((e) => e.what)).toEqual(["stacks/a/compose.yaml"]);
    unsaved.leave();
    expect(go).toHaveBeenCalledTimes(2);
    expect(dropped).toEqual(["compose"]); // the editor's latest callback
    expect(unsaved.dirty).toBe(true); // the .env edit is still there
    // Leaving the page asks about every edit.
    expect(unsaved.guard(go)).toBe(false);
    expect(unsaved.pending?.edits.map((e) => e.what)).toEqual(["stacks/a/.env"]);
    unsaved.leave();
    expect(unsaved.dirty).toBe(false);
    expect(dropped).toEqual(["compose", "env"]);
  });

  const here = { origin: "http://sdmd.test", pathname: "/service/", search: "?id=svc_a&tab=compose" };
  const plain = { button: 0, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false };

  it("guards plain in-app links only", () => {
    expect(internalDestination({ href: "http://sdmd.test/audit/?limit=20" }, here, plain)).toBe("/audit/?limit=20");
    expect(internalDestination({ href: "/" }, here, plain)).toBe("/");
    expect(internalDestination({ href: "http://sdmd.test/service/?id=svc_a&tab=compose#main" }, here, plain)).toBeNull();
    expect(internalDestination({ href: "https://docs.docker.com/" }, here, plain)).toBeNull();
    expect(internalDestination({ href: "/audit/", target: "_blank" }, here, plain)).toBeNull();
    expect(internalDestination({ href: "/audit/", hasDownload: true }, here, plain)).toBeNull();
    expect(internalDestination({ href: "/audit/" }, here, { ...plain, ctrlKey: true })).toBeNull();
    expect(internalDestination({ href: "/audit/" }, here, { ...plain, button: 1 })).toBeNull();
  });
});

describe("connection", () => {
  afterEach(() => connection.reset());

  it("knows when a 'does not answer' error is outdated", () => {
    const down = errorFromException(new TypeError("Failed to fetch"));
    connection.unanswered(down.at);
    expect(answeredSince(down)).toBe(false);
    connection.answered(down.at + 10);
    expect(answeredSince(down)).toBe(true);
    expect(connection.state.failingSince).toBeNull();
    // An error the server itself gave is not outdated by a later answer.
    expect(answeredSince(new ApiError("port is already allocated", { status: 422 }))).toBe(false);
  });

  it("writes the time on the 24-hour clock", () => {
    expect(clockTime(Date.UTC(2026, 10, 30, 6, 26), "UTC")).toBe("06:26");
    expect(clockTime(Date.UTC(2026, 10, 30, 18, 5), "UTC")).toBe("18:05");
  });

  it("keeps asking while a failure may pass, and stops for one that will not", () => {
    const state = (status: string, error: unknown) => ({ state: { status, error } }) as never;
    expect(reconnectInterval(state("error", errorFromException(new TypeError("Failed to fetch"))))).toBe(RECONNECT_MS);
    expect(reconnectInterval(state("error", new ApiError("docker daemon unavailable", { status: 503 })))).toBe(RECONNECT_MS);
    expect(reconnectInterval(state("error", new ApiError("service not found", { status: 404 })))).toBe(false);
    expect(reconnectInterval(state("success", null))).toBe(false);
  });
});
