// Unsaved compose edits survive a reload, an outage and a re-login: each is kept in the tab's
// sessionStorage under its service, with the ETag of the version it was based on, until it is saved or
// discarded. sessionStorage ends with the tab, and logging out clears every draft.

import type { KeyValueStore } from "@/lib/auth/session";

export interface Draft {
  serviceId: string;
  /** the ETag of the server version the edit started from */
  etag: string | null;
  text: string;
  /** epoch ms */
  savedAt: number;
}

const PREFIX = "sdmd.draft.";

function browserStore(): KeyValueStore | null {
  try {
    return typeof window !== "undefined" ? window.sessionStorage : null;
  } catch {
    return null;
  }
}

export function draftKey(serviceId: string): string {
  return `${PREFIX}${serviceId}`;
}

export function saveDraft(draft: Omit<Draft, "savedAt">, now: number = Date.now(),
  store: KeyValueStore | null = browserStore()): void {
  try {
    store?.setItem(draftKey(draft.serviceId), JSON.stringify({ ...draft, savedAt: now }));
  } catch {
    // storage full or refused: the edit stays in the page, only its backup is missing
  }
}

export function loadDraft(serviceId: string, store: KeyValueStore | null = browserStore()): Draft | null {
  const raw = store?.getItem(draftKey(serviceId));
  if (!raw) return null;
  try {
    const d = JSON.parse(raw) as Partial<Draft>;
    if (d.serviceId !== serviceId || typeof d.text !== "string") return null;
    return { serviceId, etag: typeof d.etag === "string" ? d.etag : null, text: d.text, savedAt: Number(d.savedAt) || 0 };
  } catch {
    return null;
  }
}

export function clearDraft(serviceId: string, store: KeyValueStore | null = browserStore()): void {
  store?.removeItem(draftKey(serviceId));
}

/** Every draft in the store (logging out drops them: the next person on this tab should not see them). */
export function clearAllDrafts(store: (KeyValueStore & { length: number; key(i: number): string | null }) | null
  = browserStore() as Storage | null): void {
  if (!store) return;
  const keys: string[] = [];
  for (let i = 0; i < store.length; i++) {
    const key = store.key(i);
    if (key?.startsWith(PREFIX)) keys.push(key);
  }
  for (const key of keys) store.removeItem(key);
}

/**
 * What to offer when a page opens with a kept draft: nothing when it says what the server has; else the
 * draft, and whether the server's file moved on since the draft's version (saving it will then be refused
 * until the person reloads, as with any concurrent change).
 */
export function draftOffer(draft: Draft | null, serverText: string, serverEtag: string | null):
  { draft: Draft; stale: boolean } | null {
  if (!draft || draft.text === serverText) return null;
  return { draft, stale: draft.etag !== null && serverEtag !== null && draft.etag !== serverEtag };
}
