"use client";

import { useSyncExternalStore } from "react";

import { browserTimeZone } from "@/lib/schedule-time";

const noop = () => () => {};

/** The browser's time zone; "" while hydrating a page prerendered at build time (which has none). */
export function useBrowserZone(): string {
  return useSyncExternalStore(noop, browserTimeZone, () => "");
}
