"use client";

import dynamic from "next/dynamic";
import { usePathname } from "next/navigation";
import { useEffect, useSyncExternalStore } from "react";

import { session } from "@/lib/auth/session";
import { progressStore } from "@/lib/live/progress";
import { startLiveState } from "@/lib/live/state";
import { getQueryClient } from "@/lib/query-client";

// The panel's code loads with the first operation, not with every page.
const ProgressPanel = dynamic(() => import("./progress-panel").then((m) => m.ProgressPanel), { ssr: false });

const hasOperations = () => progressStore.operations().length > 0;

/** Once per tab: the state stream (while logged in) and the operations panel. */
export function LiveRoot() {
  const onLogin = usePathname().startsWith("/login");
  const any = useSyncExternalStore(progressStore.subscribe, hasOperations, () => false);
  useEffect(() => {
    if (onLogin || !session.loggedIn) return;
    const handle = startLiveState(getQueryClient());
    return () => handle.close();
  }, [onLogin]);
  return any ? <ProgressPanel /> : null;
}
