"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { rawJson } from "@/lib/api/client";
import { auditQuery, normalisePage, type AuditFilters } from "@/lib/audit-filters";
import type { AuditEntry } from "@/lib/api/types";

export function useAudit(filters: AuditFilters, cursor: string | null) {
  return useQuery({
    queryKey: ["audit", filters, cursor],
    queryFn: async () => normalisePage<AuditEntry>(await rawJson<unknown>("/api/audit", { query: auditQuery(filters, cursor) })),
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** The most recent entries about one service (by id; older entries may only carry the name). */
export function useServiceAudit(id: string, limit = 20) {
  return useQuery({
    queryKey: ["audit", "service", id, limit],
    queryFn: async () => normalisePage<AuditEntry>(await rawJson<unknown>("/api/audit", { query: { target: id, limit } })).items,
    refetchInterval: 10_000,
    retry: false,
  });
}
