"use client";

import { useEffect } from "react";

export const SITE = "sdmd";

/** "web · sdmd": for pages whose subject is only known in the browser (a static export has one HTML per route). */
export function titleFor(subject: string | null | undefined): string {
  return subject ? `${subject} · ${SITE}` : SITE;
}

export function useTitle(subject: string | null | undefined): void {
  useEffect(() => {
    if (subject) document.title = titleFor(subject);
  }, [subject]);
}
