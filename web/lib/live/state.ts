// State pushed: one event stream per tab (GET /api/events, fed by the hosts' live model) keeps the service
// list and the open service current without polling. Each container event carries the service's new
// status and containers, patched straight into the query cache; a refetch a moment later brings what only
// the server derives (drift, gitops). While the stream is down the queries fall back to polling.

import type { QueryClient } from "@tanstack/react-query";

import type { ContainerRead, Service, ServiceStatus } from "@/lib/api/types";
import { follow, type FollowHandle, type FollowStatus } from "@/lib/live/sse";

export interface ContainerEvent {
  host: string;
  project: string;
  service_id: string;
  action: string;
  exit_code: number | null;
  container: ContainerRead | null;
  container_id: string;
  service_status: ServiceStatus;
  containers: ContainerRead[];
}

/** The list with one service's containers and status replaced; null when the list does not hold it. */
export function applyContainerEvent(list: Service[], ev: ContainerEvent): Service[] | null {
  const at = list.findIndex((s) => s.id === ev.service_id);
  if (at === -1) return null;
  const next = list.slice();
  next[at] = patchService(list[at]!, ev);
  return next;
}

export function patchService(service: Service, ev: ContainerEvent): Service {
  return { ...service, status: ev.service_status, containers: ev.containers };
}

// -- connection status, read by the queries to decide whether to poll ---------------------------------
let status: FollowStatus = "closed";
const listeners = new Set<() => void>();

export const liveState = {
  connected: (): boolean => status === "open",
  status: (): FollowStatus => status,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

function setStatus(next: FollowStatus) {
  status = next;
  for (const l of listeners) l();
}

const REFETCH_AFTER_MS = 1500;

/** The list and single services (not their logs or git history). */
const isServiceQuery = (q: { queryKey: readonly unknown[] }) => q.queryKey[0] === "services" && q.queryKey.length <= 2;

/** Opens the tab's state stream; returns its handle (close it on logout). */
export function startLiveState(qc: QueryClient): FollowHandle {
  let refetch: ReturnType<typeof setTimeout> | null = null;
  const refetchSoon = () => {
    if (refetch) clearTimeout(refetch);
    refetch = setTimeout(() => {
      refetch = null;
      void qc.invalidateQueries({ predicate: isServiceQuery });
    }, REFETCH_AFTER_MS);
  };
  const handle = follow("/api/events", {
    onStatus: (next, error) => {
      const dropped = status === "open" && error !== undefined;
      setStatus(next);
      // The queries poll only while the stream is down, and read that on their next update: ask them now,
      // so they go back to polling (and a page says it is stale when sdmd is gone).
      if (dropped) void qc.invalidateQueries({ predicate: isServiceQuery });
    },
    onEvent: (ev) => {
      if (ev.event === "ready") {
        void qc.invalidateQueries({ predicate: isServiceQuery }); // whatever changed while we were away
        return;
      }
      if (ev.event !== "container") return;
      const data = JSON.parse(ev.data) as ContainerEvent;
      let known = false;
      qc.setQueryData<Service[]>(["services"], (list) => {
        const next = list ? applyContainerEvent(list, data) : null;
        known = next !== null;
        return next ?? list;
      });
      qc.setQueryData<{ service: Service; etag: string | null }>(["services", data.service_id], (one) => {
        if (!one) return one;
        known = true;
        return { ...one, service: patchService(one.service, data) };
      });
      if (!known) void qc.invalidateQueries({ queryKey: ["services"], exact: true }); // a project we did not list yet
      refetchSoon();
    },
  });
  return {
    close: () => {
      if (refetch) clearTimeout(refetch);
      handle.close();
      setStatus("closed");
    },
  };
}
