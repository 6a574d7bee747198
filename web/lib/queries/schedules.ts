"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type { ScheduleCreate, ScheduleUpdate } from "@/lib/api/types";
import { schedulesRefreshMs } from "@/lib/schedule-time";

export const scheduleKeys = {
  all: ["schedules"] as const,
  runs: (id: string) => ["schedules", id, "runs"] as const,
};

export function useSchedules() {
  return useQuery({
    queryKey: scheduleKeys.all,
    queryFn: async () => (await unwrap(api.GET("/api/schedules"))).data,
    // Shortly after a run is due, look more often, so its outcome shows without a reload.
    refetchInterval: (query) => schedulesRefreshMs(query.state.data),
    retry: false,
  });
}

export function useScheduleRuns(id: string | null) {
  return useQuery({
    queryKey: scheduleKeys.runs(id ?? ""),
    enabled: !!id,
    queryFn: async () =>
      (await unwrap(api.GET("/api/schedules/{schedule_id}/runs", { params: { path: { schedule_id: id! }, query: { limit: 20 } } }))).data,
    refetchInterval: 5_000, // while the dialog is open, a run that finishes shows up
    retry: false,
  });
}

export type ScheduleSave = { id: string; input: ScheduleUpdate } | { id?: undefined; input: ScheduleCreate };

export function useSaveSchedule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (save: ScheduleSave) => {
      if (save.id !== undefined) {
        const body: ScheduleUpdate = save.input;
        return (await unwrap(api.PUT("/api/schedules/{schedule_id}", { params: { path: { schedule_id: save.id } }, body }))).data;
      }
      const body: ScheduleCreate = save.input;
      return (await unwrap(api.POST("/api/schedules", { body }))).data;
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
}

export function useDeleteSchedule() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      (await unwrap(api.DELETE("/api/schedules/{schedule_id}", { params: { path: { schedule_id: id } } }))).data,
    onSuccess: () => qc.invalidateQueries({ queryKey: scheduleKeys.all }),
  });
}
