"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import { auditQuery, type AuditFilters } from "@/lib/audit-filters";

export function useAudit(filters: AuditFilters, cursor: string | null) {
  return useQuery({
    queryKey: ["audit", filters, cursor],
    queryFn: async () => {
      const page = (await unwrap(api.GET("/api/audit", { params: { query: auditQuery(filters, cursor) } }))).data;
      return { items: page.items, nextCursor: page.next_cursor ?? null };
    },
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** The most recent entries about one service (the log matches its id or its name). */
export function useServiceAudit(id: string, limit = 20) {
  return useQuery({
    queryKey: ["audit", "service", id, limit],
    queryFn: async () => (await unwrap(api.GET("/api/audit", { params: { query: { target: id, limit } } }))).data.items,
    refetchInterval: 10_000,
    retry: false,
  });
}
