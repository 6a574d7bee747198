// One place that knows whether the page holds unsaved edits, and asks before anything would throw them
// away: in-app links, tab switches, logging out (through `guard`), and closing or reloading the tab
// (beforeunload, in components/unsaved-guard.tsx).

type Listener = () => void;

export interface LeaveRequest {
  /** what happens when the person chooses to leave */
  go: () => void;
}

const owners = new Set<string>();
let pending: LeaveRequest | null = null;
const listeners = new Set<Listener>();

function emit(): void {
  for (const l of listeners) l();
}

export const unsaved = {
  /** An editor reports whether it holds unsaved edits; `owner` tells several apart. */
  set(owner: string, dirty: boolean): void {
    const had = owners.has(owner);
    if (dirty === had) return;
    if (dirty) owners.add(owner);
    else owners.delete(owner);
    emit();
  },
  get dirty(): boolean {
    return owners.size > 0;
  },
  /** Runs `go` now, or, with unsaved edits, once the person confirms. Returns true when it ran now. */
  guard(go: () => void): boolean {
    if (!owners.size) {
      go();
      return true;
    }
    pending = { go };
    emit();
    return false;
  },
  get pending(): LeaveRequest | null {
    return pending;
  },
  /** The person chose to leave: the edits are given up, then the navigation happens. */
  leave(): void {
    const request = pending;
    pending = null;
    owners.clear();
    emit();
    request?.go();
  },
  /** The person chose to stay. */
  stay(): void {
    pending = null;
    emit();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** For tests. */
  reset(): void {
    owners.clear();
    pending = null;
    emit();
  },
};

/**
 * The in-app destination of a click, or null when the click is not a plain same-origin navigation to
 * another page (a new tab, a download, another site, a link to the same page such as "Skip to content").
 */
export function internalDestination(
  link: { href: string; target?: string; hasDownload?: boolean },
  current: { origin: string; pathname: string; search: string },
  click: { button: number; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean },
): string | null {
  if (click.button !== 0 || click.ctrlKey || click.metaKey || click.shiftKey || click.altKey) return null;
  if ((link.target && link.target !== "_self") || link.hasDownload) return null;
  let url: URL;
  try {
    url = new URL(link.href, current.origin);
  } catch {
    return null;
  }
  if (url.origin !== current.origin) return null;
  if (url.pathname === current.pathname && url.search === current.search) return null;
  return url.pathname + url.search + url.hash;
}
