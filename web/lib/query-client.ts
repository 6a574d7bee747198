import { QueryClient } from "@tanstack/react-query";

import { asApiError } from "@/lib/api/errors";

function make(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 2_000,
        refetchOnWindowFocus: true,
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
