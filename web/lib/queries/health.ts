"use client";

import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { HealthStatus } from "@/lib/api/types";

export function useHealth() {
  return useQuery({
    queryKey: ["health"],
    queryFn: async (): Promise<HealthStatus> => (await unwrap(api.GET("/api/health/status"))).data,
    refetchInterval: 5_000,
  });
}
