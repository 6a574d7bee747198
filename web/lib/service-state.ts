import type { Service } from "@/lib/api/types";

/** Each kind of drift item (sdmd/gitops/drift.py) in words. */
const DRIFT_WORDS: Record<string, string> = {
  image: "older image",
  config: "changed definition",
  stopped: "stopped container",
  missing: "missing container",
  extra: "extra container",
};

/** Issue 5's drift (file vs database vs containers) as a short phrase, or null when in sync. */
export function driftState(service: Service): string | null {
  const d = service.drift;
  if (!d) return null;
  if (d.file && d.file !== "in_sync") return `file ${d.file}`;
  if (!d.drifted) return null;
  const kinds = [...new Set(d.items.map((i) => DRIFT_WORDS[i.kind] ?? i.kind.replace(/_/g, " ")))];
  return kinds.length ? `drift: ${kinds.join(", ")}` : "drifted";
}

/** The GitOps reconcile state when it needs attention (pending, error, orphaned); synced says nothing. */
export function gitopsState(service: Service): string | null {
  const state = service.gitops?.state;
  return state && state !== "synced" ? state : null;
}
