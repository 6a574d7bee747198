import { QueryClient, type Query } from "@tanstack/react-query";

import { asApiError } from "@/lib/api/errors";

/** While a query is failing in a way that may pass (no answer, 502-504), it is asked again this often. */
export const RECONNECT_MS = 5_000;

/**
 * The default for queries without their own interval: keep retrying by itself while the failure may pass,
 * so a page comes back when the server does without anyone pressing Retry.
 */
export function reconnectInterval(query: Pick<Query, "state">): number | false {
  const { status, error } = query.state;
  return status === "error" && asApiError(error).retryable ? RECONNECT_MS : false;
}

function make(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        refetchOnWindowFocus: true,
        refetchInterval: reconnectInterval,
        // A 4xx will not change by asking again; a dropped connection or a 503 may.
        retry: (count, error) => count < 2 && asApiError(error).retryable,
      },
      mutations: { retry: false },
    },
  });
}

let browserClient: QueryClient | undefined;

/** One client per browser tab (so a page module can start its first fetch before React hydrates). */
export function getQueryClient(): QueryClient {
  if (typeof window === "undefined") return make();
  browserClient ??= make();
  return browserClient;
}
