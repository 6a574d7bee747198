// Whether sdmd answers: every API call reports here (any HTTP answer counts, an error status too; only a
// request that got no answer at all counts as a failure). Pages read it to mark data as stale while
// reconnecting, and dialogs to drop a "does not answer" message once the server is back.

export interface ConnectionState {
  /** epoch ms of the last answer from sdmd, 0 before any */
  lastAnswerAt: number;
  /** epoch ms of the first unanswered request since the last answer, null while sdmd answers */
  failingSince: number | null;
}

let state: ConnectionState = { lastAnswerAt: 0, failingSince: null };
const listeners = new Set<() => void>();

function set(next: ConnectionState): void {
  state = next;
  for (const l of listeners) l();
}

export const connection = {
  answered(now: number = Date.now()): void {
    if (state.failingSince !== null || now - state.lastAnswerAt > 1000) set({ lastAnswerAt: now, failingSince: null });
  },
  unanswered(now: number = Date.now()): void {
    if (state.failingSince === null) set({ ...state, failingSince: now });
  },
  get state(): ConnectionState {
    return state;
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** For tests. */
  reset(): void {
    set({ lastAnswerAt: 0, failingSince: null });
  },
};

/** True when an error that said "sdmd does not answer" is outdated: sdmd has answered since. */
export function answeredSince(error: { unanswered: boolean; at: number } | null | undefined,
  s: ConnectionState = state): boolean {
  return !!error && error.unanswered && s.lastAnswerAt > error.at;
}

/** "06:26", the 24-hour clock the rest of the UI uses. */
export function clockTime(epochMs: number, zone?: string): string {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone })
    .format(new Date(epochMs));
}
