"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useSyncExternalStore } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { session } from "@/lib/auth/session";
import { internalDestination, unsaved } from "@/lib/unsaved";

const noPending = () => null;

/**
 * Mounted by an editor: while it holds unsaved edits, closing or reloading the tab asks first
 * (beforeunload), and in-app links ask in a dialog; tab switches and logging out ask through
 * `unsaved.guard`. A redirect to the login page after the session ended does not ask: the draft is
 * kept in sessionStorage (lib/drafts.ts) and offered again after logging in.
 */
export function UnsavedGuard({ dirty, what, onLeave, onStay }: {
  dirty: boolean;
  what: string;
  onLeave: () => void;
  /** where focus goes after "Keep editing" (back to the text; not to a tab, whose focus would switch to it) */
  onStay?: () => void;
}) {
  const router = useRouter();
  const stayed = useRef(false);
  const pending = useSyncExternalStore(unsaved.subscribe, () => unsaved.pending, noPending);

  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (!unsaved.dirty || !session.loggedIn) return;
      e.preventDefault();
      e.returnValue = ""; // older Chromium needs it set
    };
    const click = (e: MouseEvent) => {
      if (!unsaved.dirty || e.defaultPrevented) return;
      const link = (e.target as Element | null)?.closest?.("a[href]") as HTMLAnchorElement | null;
      if (!link) return;
      const to = internalDestination(
        { href: link.href, target: link.target, hasDownload: link.hasAttribute("download") },
        window.location,
        e,
      );
      if (!to) return;
      // Before Next's own link handler (on React's root, bubbling) sees it.
      e.preventDefault();
      e.stopPropagation();
      unsaved.guard(() => router.push(to));
    };
    window.addEventListener("beforeunload", beforeUnload);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", beforeUnload);
      document.removeEventListener("click", click, true);
    };
  }, [dirty, router]);

  return (
    <ConfirmDialog
      open={!!pending}
      onOpenChange={(open) => {
        if (open || !unsaved.pending) return;
        stayed.current = true;
        unsaved.stay();
      }}
      onCloseAutoFocus={(e) => {
        if (!stayed.current || !onStay) return;
        stayed.current = false;
        e.preventDefault();
        onStay();
      }}
      title="Leave without saving?"
      description={<p>Your changes to {what} are not saved. Leaving throws them away.</p>}
      confirmLabel="Discard changes"
      cancelLabel="Keep editing"
      destructive
      onConfirm={() => {
        onLeave();
        unsaved.leave();
      }}
    />
  );
}
