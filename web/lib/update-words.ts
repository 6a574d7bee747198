// An image's update state (GET /api/services/{id}/updates) in words, for the service page and the update dialog.
import type { ImageUpdate, UpdatePolicy } from "@/lib/api/types";

/** `sha256:3f1c0a9e7b21…`: enough of a digest to tell two apart. */
export function shortDigest(digest: string | null | undefined, hex = 12): string {
  if (!digest) return "";
  const [algo, value] = digest.includes(":") ? digest.split(":", 2) as [string, string] : ["", digest];
  const shown = value.length > hex ? `${value.slice(0, hex)}…` : value;
  return algo ? `${algo}:${shown}` : shown;
}

const POLICY_WORDS: Record<string, string> = {
  digest: "follows the tag's digest",
  patch: "follows patch versions",
  minor: "follows minor versions",
  major: "follows every version",
  regex: "follows tags matching a pattern",
  off: "never updated",
};

/** "follows minor versions, pre-releases too, not matching -perl". */
export function policyWords(policy: UpdatePolicy): string {
  const parts = [POLICY_WORDS[policy.update] ?? `policy ${policy.update}`];
  if (policy.include) parts.push(`matching ${policy.include}`);
  if (policy.exclude) parts.push(`not matching ${policy.exclude}`);
  if (policy.prerelease && policy.update !== "off" && policy.update !== "digest") parts.push("pre-releases too");
  return parts.join(", ");
}

const STATUS_WORDS: Record<string, string> = {
  up_to_date: "up to date",
  update_available: "update available",
  unknown: "not in a registry",
  error: "check failed",
  off: "updates off",
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status.replace(/_/g, " ");
}

/** What would change: "1.0.0 → 1.1.0", or "new build of 1: sha256:ab… → sha256:cd…"; "" when nothing would. */
export function changeWords(image: ImageUpdate): string {
  if (image.status !== "update_available" || !image.candidate) return "";
  if (image.change === "tag") return `${image.current.tag ?? "?"} → ${image.candidate.tag ?? "?"}`;
  const tag = image.current.tag ?? image.candidate.tag;
  const digests = `${shortDigest(image.current.digest) || "?"} → ${shortDigest(image.candidate.digest) || "?"}`;
  return tag ? `new build of ${tag}: ${digests}` : `new build: ${digests}`;
}

/** The images of a service an update run would change, split by how. */
export function pendingChanges(images: ImageUpdate[]) {
  const available = images.filter((i) => i.status === "update_available");
  return {
    tags: available.filter((i) => i.change === "tag" && i.applicable),
    digests: available.filter((i) => i.change !== "tag"),
    stuck: available.filter((i) => i.change === "tag" && !i.applicable),
  };
}
