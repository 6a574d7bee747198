import type { components } from "@/lib/api/schema";

// Generated from sdmd's OpenAPI.
export type ContainerRead = components["schemas"]["ContainerRead"];
export type PortRead = components["schemas"]["PortRead"];
export type LogEntry = components["schemas"]["LogEntry"];
export type PullRead = components["schemas"]["PullRead"];

export type ServiceStatus = "running" | "partial" | "stopped" | "not_deployed";

// Fields other branches add to a service (schedules: update_available; gitops: drift and state).
// Optional so the UI works against a server with or without them.
export interface ServiceExtras {
  update_available?: boolean | null;
  drift?: boolean | string | null | Record<string, unknown>;
  gitops?: Record<string, unknown> | null;
}

export type Service = components["schemas"]["ServiceRead"] & ServiceExtras;

// ---- contracts of parts built on other branches (schedules, audit, auth, gitops) ----

export type Frequency = "daily" | "weekly";
export type ScheduleMode = "update" | "check";

export interface Schedule {
  id: string;
  service_id: string;
  frequency: Frequency;
  day_of_week: string | number | null;
  time_of_day: string;
  timezone: string;
  enabled: boolean;
  mode: ScheduleMode;
  next_run_at: string | null;
  last_run_at: string | null;
  last_result: string | Record<string, unknown> | null;
}

export type ScheduleInput = Omit<Schedule, "id" | "next_run_at" | "last_run_at" | "last_result">;

export interface ScheduleRun {
  id: string;
  schedule_id?: string;
  started_at?: string | null;
  finished_at?: string | null;
  outcome?: string | null;
  result?: string | null;
  details?: unknown;
}

export interface AuditEntry {
  id: string;
  created_at: string;
  actor_id: string | null;
  actor_email: string | null;
  action: string;
  target_id: string | null;
  target_name: string | null;
  outcome: string;
  client_addr: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditPage {
  items: AuditEntry[];
  next_cursor: string | null;
}

export interface GitCommit {
  sha: string;
  message: string;
  author?: string | null;
  committed_at?: string | null;
}
