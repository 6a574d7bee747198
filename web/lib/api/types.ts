import type { components } from "@/lib/api/schema";

// All generated from sdmd's OpenAPI (scripts/gen_api.sh).
type S = components["schemas"];
export type ContainerRead = S["ContainerRead"];
export type PortRead = S["PortRead"];
export type LogEntry = S["LogEntry"];
export type PullRead = S["PullRead"];
export type Service = S["ServiceRead"];
export type DriftRead = S["DriftRead"];
export type DriftReport = S["DriftReport"];
export type GitopsState = S["GitopsStateRead"];
export type Schedule = S["ScheduleRead"];
export type ScheduleCreate = S["ScheduleCreate"];
export type ScheduleUpdate = S["ScheduleUpdate"];
export type ScheduleRun = S["RunRead"];
export type UpdateJob = S["UpdateJobRead"];
export type AuditEntry = S["AuditRead"];
export type AuditPage = S["AuditPage"];
export type TokenRead = S["TokenRead"];
export type MfaChallenge = S["MfaChallengeRead"];
export type MfaStatus = S["MfaStatusRead"];
export type MfaEnrolment = S["EnrolmentRead"];
export type SecuritySettings = S["SecuritySettingsRead"];
export type ApiToken = S["ApiTokenRead"];
export type ApiTokenCreated = S["ApiTokenCreated"];

export type ServiceStatus = "running" | "partial" | "stopped" | "not_deployed";
export type Frequency = "daily" | "weekly";
export type ScheduleMode = "update" | "check";

/** One commit of a service's compose file: GET /api/services/{id}/history ({commit, author, email, date, message}). */
export interface GitCommit {
  commit?: string;
  sha?: string;
  message: string;
  author?: string | null;
  email?: string | null;
  date?: string | null;
}

// Issue 18's pages: images, health, GitOps, history, .env, users, about.
export type ImageRead = S["LocalImage"];
export type ImageList = S["ImageList"];
export type PruneResult = S["PruneResult"];
export type HealthStatus = S["HealthStatus"];
export type ContainerHealth = S["ContainerHealth"];
export type GitopsStatus = S["GitopsStatus"];
export type GitopsRound = S["RoundRead"];
export type ReconcileReport = S["ReconcileReport"];
export type StackState = S["StackState"];
export type CommitDetail = S["CommitDetail"];
export type CommitFile = S["CommitFile"];
export type FileAtCommit = S["FileAtCommit"];
export type EnvFile = S["EnvFileRead"];
export type Account = S["AccountRead"];
export type AccountWithPassword = S["AccountWithPassword"];
export type About = S["AboutRead"];
/** `?dry_run=true` on POST/PUT/PATCH /api/services: the file that would be written and its diff. */
export type DryRun = S["DryRunRead"];
// Issue 10: Docker hosts.
export type Host = S["HostRead"];
export type HostCreate = S["HostCreate"];
export type HostUpdate = S["HostUpdate"];
export type HostTestResult = S["HostTestRead"];
export type HostDeleted = S["HostDeleted"];
export type HostStatus = S["HostStatus"];
export type MovePlan = S["MovePlan"];

// Settings → Notifications (issue 14)
export type NotificationChannel = S["ChannelRead"];
export type NotificationChannelCreate = S["ChannelCreate"];
export type NotificationChannelUpdate = S["ChannelUpdate"];
export type NotificationDelivery = S["DeliveryRead"];
export type NotificationTestResult = S["ChannelTestResult"];
export type NotificationEventType = S["EventType"];

// Issue 11: what an update would change, and private registries' credentials.
export type ServiceUpdates = S["ServiceUpdatesRead"];
export type ImageUpdate = S["ImageUpdateRead"];
export type ImageVersion = S["ImageVersionRead"];
export type UpdatePolicy = S["PolicyRead"];
export type Registry = S["RegistryRead"];
export type RegistryCreate = S["RegistryCreate"];
export type RegistryUpdate = S["RegistryUpdate"];
