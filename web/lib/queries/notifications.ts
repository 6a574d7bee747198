"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "@/lib/api/client";
import type {
  NotificationChannel, NotificationChannelCreate, NotificationChannelUpdate, NotificationDelivery,
  NotificationEventType, NotificationTestResult,
} from "@/lib/api/types";

const channelsKey = ["notifications", "channels"] as const;
const deliveriesKey = ["notifications", "deliveries"] as const;

export function useChannels() {
  return useQuery({
    queryKey: channelsKey,
    queryFn: async (): Promise<NotificationChannel[]> => (await unwrap(api.GET("/api/notifications/channels"))).data,
    // deliveries are made by the worker in the background: keep "last delivery" current while the page is open
    refetchInterval: 10_000,
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: ["notifications", "events"],
    queryFn: async (): Promise<NotificationEventType[]> => (await unwrap(api.GET("/api/notifications/events"))).data,
    staleTime: Infinity,
  });
}

export function useDeliveries(failedOnly: boolean) {
  return useQuery({
    queryKey: [...deliveriesKey, failedOnly],
    queryFn: async (): Promise<NotificationDelivery[]> => (await unwrap(api.GET("/api/notifications/deliveries", {
      params: { query: { limit: 50, ...(failedOnly ? { status: ["failed"] } : {}) } },
    }))).data,
    refetchInterval: 10_000,
  });
}

/** After any change or test, the channels (their last delivery) and the delivery log are stale. */
function useInvalidate() {
  const qc = useQueryClient();
  return () => Promise.all([
    qc.invalidateQueries({ queryKey: channelsKey }),
    qc.invalidateQueries({ queryKey: deliveriesKey }),
  ]);
}

export function useAddChannel() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (body: NotificationChannelCreate): Promise<NotificationChannel> =>
      (await unwrap(api.POST("/api/notifications/channels", { body }))).data,
    onSuccess: invalidate,
  });
}

export function useUpdateChannel() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async ({ id, body }: { id: string; body: NotificationChannelUpdate }): Promise<NotificationChannel> =>
      (await unwrap(api.PUT("/api/notifications/channels/{channel_id}", { params: { path: { channel_id: id } }, body }))).data,
    onSuccess: invalidate,
  });
}

export function useRemoveChannel() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (id: string) =>
      (await unwrap(api.DELETE("/api/notifications/channels/{channel_id}", { params: { path: { channel_id: id } } }))).data,
    onSuccess: invalidate,
  });
}

export function useTestChannel() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (id: string): Promise<NotificationTestResult> =>
      (await unwrap(api.POST("/api/notifications/channels/{channel_id}/test", { params: { path: { channel_id: id } } }))).data,
    onSettled: invalidate,
  });
}
