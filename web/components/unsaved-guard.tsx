"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useSyncExternalStore } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { session } from "@/lib/auth/session";
import { internalDestination, unsaved, type UnsavedEdit } from "@/lib/unsaved";

const noPending = () => null;

/**
 * Mounted once, by the app shell; editors report their unsaved edits to lib/unsaved.ts. While there are
 * any, closing or reloading the tab asks first (beforeunload), and in-app links ask in this dialog; tab
 * switches and logging out ask through `unsaved.guard`. A redirect to the login page after the session
 * ended does not ask: drafts are kept in sessionStorage (lib/drafts.ts) and offered again after logging in.
 */
export function UnsavedGuard() {
  const router = useRouter();
  const stayed = useRef<UnsavedEdit | null>(null);
  const pending = useSyncExternalStore(unsaved.subscribe, () => unsaved.pending, noPending);
  const dirty = useSyncExternalStore(unsaved.subscribe, () => unsaved.dirty, () => false);

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

  const whats = pending?.edits.map((e) => e.what) ?? [];
  return (
    <ConfirmDialog
      open={!!pending}
      onOpenChange={(open) => {
        if (open || !unsaved.pending) return;
        stayed.current = unsaved.pending.edits[0] ?? null;
        unsaved.stay();
      }}
      onCloseAutoFocus={(e) => {
        const edit = stayed.current;
        stayed.current = null;
        if (!edit?.onStay) return;
        e.preventDefault();
        edit.onStay();
      }}
      title="Leave without saving?"
      description={<p>Your changes to {whats.join(" and ")} are not saved. Leaving throws them away.</p>}
      confirmLabel="Discard changes"
      cancelLabel="Keep editing"
      destructive
      onConfirm={() => unsaved.leave()}
    />
  );
}
