// What an update run found and did (sdmd/updates/records.py), in words for badges and toasts.

export type OutcomeTone = "success" | "info" | "destructive" | "warning" | "muted";

const OUTCOMES: Record<string, { words: string; tone: OutcomeTone }> = {
  up_to_date: { words: "already up to date", tone: "muted" },
  update_available: { words: "update available", tone: "info" },
  updated: { words: "updated", tone: "success" },
  rolled_back: { words: "failed, rolled back", tone: "warning" },
  error: { words: "failed", tone: "destructive" },
  skipped: { words: "skipped", tone: "muted" },
};

export function outcomeWords(result: string | null | undefined): string {
  if (!result) return "";
  return OUTCOMES[result]?.words ?? result.replace(/_/g, " ");
}

export function outcomeTone(result: string | null | undefined): OutcomeTone {
  if (!result) return "muted";
  return OUTCOMES[result]?.tone ?? (/fail|error/i.test(result) ? "destructive" : "muted");
}

/** A run as one line for a toast: "Already up to date", "Updated: updated 127.0.0.1:5000/app:1". */
export function outcomeSentence(result: string | null | undefined, reason?: string | null): string {
  const words = outcomeWords(result);
  if (!words) return "";
  const head = words[0]!.toUpperCase() + words.slice(1);
  return reason ? `${head}: ${reason}` : head;
}
