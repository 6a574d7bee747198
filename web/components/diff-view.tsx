import { maskEnvLine, parsePatch } from "@/lib/diff";
import { cn } from "@/lib/utils";

const LINE_CLASS = {
  add: "bg-success/10 text-foreground",
  del: "bg-destructive/10 text-foreground",
  hunk: "bg-muted text-muted-foreground",
  context: "",
  meta: "text-muted-foreground italic",
} as const;

/** One file's unified diff, line by line with old and new line numbers (git history, the save preview). */
export function DiffView({ patch, label, masked, className }: {
  patch: string;
  label: string;
  /** a .env whose values stay hidden */
  masked?: boolean;
  className?: string;
}) {
  const lines = parsePatch(patch);
  return (
    <pre className={cn("max-h-[28rem] overflow-auto font-mono text-xs leading-5", className)} aria-label={label} data-testid="diff">
      {lines.map((line, i) => (
        <div key={i} className={cn("flex", LINE_CLASS[line.kind])} data-kind={line.kind}>
          <span className="w-10 shrink-0 select-none pr-1 text-right text-muted-foreground">{line.oldLine ?? ""}</span>
          <span className="w-10 shrink-0 select-none pr-2 text-right text-muted-foreground">{line.newLine ?? ""}</span>
          <span className="w-4 shrink-0 select-none" aria-hidden>{line.kind === "add" ? "+" : line.kind === "del" ? "−" : ""}</span>
          <span className="sr-only">{line.kind === "add" ? "added: " : line.kind === "del" ? "removed: " : ""}</span>
          <span className="whitespace-pre pr-3">{masked && (line.kind === "add" || line.kind === "del" || line.kind === "context") ? maskEnvLine(line.text) : line.text}</span>
        </div>
      ))}
    </pre>
  );
}
