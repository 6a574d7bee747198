"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { rawJson } from "@/lib/api/client";
import { normalisePage } from "@/lib/audit-filters";
import type { Schedule, ScheduleInput, ScheduleRun } from "@/lib/api/types";

export const scheduleKeys = {
  all: ["schedules"] as const,
  runs: (id: string) => ["schedules", id, "runs"] as const,
};

export function useSchedules() {
  return useQuery({
    queryKey: scheduleKeys.all,
    queryFn: async () => normalisePage<Schedule>(await rawJson<unknown>("/api/schedules")).items,
    refetchInterval: 15_000,
    retry: false,
  });
}

export function useScheduleRuns(id: string | null) {
  return useQuery({
    queryKey: scheduleKeys.runs(id ?? ""),
    enabled: !!id,
    queryFn: async () =>
      normalisePage<ScheduleRun>(await rawJson<unknown>(`/api/schedules/${encodeURIComponent(id!)}/runs`)).items,
    retry: false,
  });
}

export function useSaveSchedule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, input }: { id?: string; input: Partial<ScheduleInput> }) =>
      id
        ? rawJson<Schedule>(`/api/schedules/${encodeURIComponent(id)}`, { method: "PUT", json: input })
        : rawJson<Schedule>("/api/schedules", { method: "POST", json: input }),
    onSuccess: () => qc.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
}

export function useDeleteSchedule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => rawJson<unknown>(`/api/schedules/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
}
