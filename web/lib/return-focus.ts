"use client";

import { useRef } from "react";

type FocusHandler = ((event: Event) => void) | undefined;

const IN_DIALOG = "[role=dialog], [role=alertdialog]";
let lastOutside: HTMLElement | null = null;
let tracking = false;

/** The last element focused outside any dialog (a dialog's autoFocus field may take focus before we look). */
function track(): void {
  if (tracking || typeof document === "undefined") return;
  tracking = true;
  document.addEventListener("focusin", (e) => {
    const target = e.target;
    if (target instanceof HTMLElement && !target.closest(IN_DIALOG)) lastOutside = target;
  }, true);
}
track(); // from the start: the click that opens a dialog comes before the dialog's first render

/**
 * Radix returns focus on close to a Dialog.Trigger; sdmd opens most dialogs from state (one dialog for
 * many rows), so there is none and focus fell to the page. This remembers what had focus when the dialog
 * opened and returns there on close, if it is still on the page; a caller's own onCloseAutoFocus that
 * calls preventDefault() decides instead.
 */
export function useReturnFocus(onOpenAutoFocus: FocusHandler, onCloseAutoFocus: FocusHandler) {
  const opener = useRef<HTMLElement | null>(null);
  return {
    onOpenAutoFocus: (event: Event) => {
      const active = document.activeElement;
      opener.current = active instanceof HTMLElement && active !== document.body && !active.closest(IN_DIALOG)
        ? active : lastOutside;
      onOpenAutoFocus?.(event);
    },
    onCloseAutoFocus: (event: Event) => {
      onCloseAutoFocus?.(event);
      if (event.defaultPrevented) return;
      // No open event when a field inside took focus first (autoFocus): then the last element focused
      // outside any dialog is the one that opened it.
      const target = opener.current ?? lastOutside;
      opener.current = null;
      if (target?.isConnected) {
        event.preventDefault();
        target.focus();
      }
    },
  };
}
