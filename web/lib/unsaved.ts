// One place that knows whether the page holds unsaved edits, and asks before anything would throw them
// away: in-app links, tab switches, logging out (through `guard`), and closing or reloading the tab
// (beforeunload, in components/unsaved-guard.tsx).

type Listener = () => void;

/** What an editor with unsaved edits tells the guard. */
export interface UnsavedEdit {
  /** what holds the edits, for the question: "stacks/web/compose.yaml" */
  what: string;
  /** the person chose to leave: drop the kept draft */
  onLeave?: () => void;
  /** the person chose to stay: where focus goes (the text, not a tab whose focus would switch to it) */
  onStay?: () => void;
  /** the editor stays mounted while another tab of its page shows (the .env), so a tab switch keeps it */
  keptOnTabSwitch?: boolean;
}

export interface LeaveRequest {
  /** what happens when the person chooses to leave */
  go: () => void;
  /** the editors (owners) whose edits leaving gives up, and what they said of them */
  owners: string[];
  edits: UnsavedEdit[];
}

const owners = new Map<string, UnsavedEdit>();
let pending: LeaveRequest | null = null;
const listeners = new Set<Listener>();

function emit(): void {
  for (const l of listeners) l();
}

export const unsaved = {
  /** An editor reports its unsaved edits (null: none); `owner` tells several apart. */
  set(owner: string, edit: UnsavedEdit | null): void {
    const had = owners.get(owner);
    if (!edit && !had) return;
    if (edit) owners.set(owner, edit);
    else owners.delete(owner);
    // Only whether there are edits matters to listeners; a new callback of the same edit is no news.
    if (!edit || !had) emit();
  },
  get dirty(): boolean {
    return owners.size > 0;
  },
  /** The edits a navigation would give up; a tab switch keeps those whose editor stays mounted. */
  at(scope: "page" | "tab" = "page"): [string, UnsavedEdit][] {
    return [...owners].filter(([, e]) => scope === "page" || !e.keptOnTabSwitch);
  },
  /**
   * Runs `go` now, or, with unsaved edits it would give up, once the person confirms. Returns true when
   * it ran now.
   */
  guard(go: () => void, scope: "page" | "tab" = "page"): boolean {
    const asked = unsaved.at(scope);
    if (!asked.length) {
      go();
      return true;
    }
    pending = { go, owners: asked.map(([owner]) => owner), edits: asked.map(([, edit]) => edit) };
    emit();
    return false;
  },
  get pending(): LeaveRequest | null {
    return pending;
  },
  /** The person chose to leave: the edits asked about are given up, then the navigation happens. */
  leave(): void {
    const request = pending;
    pending = null;
    for (const owner of request?.owners ?? []) {
      owners.get(owner)?.onLeave?.(); // the editor's latest callback
      owners.delete(owner);
    }
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
