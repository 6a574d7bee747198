"use client";

import { useSyncExternalStore } from "react";

const noop = () => () => {};

/** False while React hydrates prerendered HTML, true after: lets a page show data fetched before that. */
export function useHydrated(): boolean {
  return useSyncExternalStore(noop, () => true, () => false);
}
