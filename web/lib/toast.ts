// A tiny global toast queue (no context needed), read by <Toaster/> with useSyncExternalStore.

export type ToastVariant = "default" | "success" | "error";

export interface ToastItem {
  id: number;
  title: string;
  description?: string;
  variant: ToastVariant;
}

let items: ToastItem[] = [];
let nextId = 1;
const listeners = new Set<() => void>();

function emit() {
  for (const l of listeners) l();
}

export function toast(title: string, opts: { description?: string; variant?: ToastVariant } = {}): void {
  items = [...items.slice(-3), { id: nextId++, title, description: opts.description, variant: opts.variant ?? "default" }];
  emit();
}

export function dismiss(id: number): void {
  items = items.filter((t) => t.id !== id);
  emit();
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function snapshot(): ToastItem[] {
  return items;
}

const EMPTY: ToastItem[] = [];
export function serverSnapshot(): ToastItem[] {
  return EMPTY;
}
