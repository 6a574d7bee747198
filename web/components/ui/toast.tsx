"use client";

import * as ToastPrimitive from "@radix-ui/react-toast";
import { X } from "lucide-react";
import { useSyncExternalStore } from "react";

import { dismiss, serverSnapshot, snapshot, subscribe } from "@/lib/toast";
import { cn } from "@/lib/utils";

const VARIANTS = {
  default: "border bg-card",
  success: "border-success/50 bg-card",
  error: "border-destructive/60 bg-card",
};

export function Toaster() {
  const items = useSyncExternalStore(subscribe, snapshot, serverSnapshot);
  return (
    <ToastPrimitive.Provider swipeDirection="right" duration={5000}>
      {items.map((t) => (
        <ToastPrimitive.Root
          key={t.id}
          onOpenChange={(open) => !open && dismiss(t.id)}
          data-variant={t.variant}
          data-testid="toast"
          className={cn("relative grid gap-1 rounded-md p-3 pr-8 shadow-lg", VARIANTS[t.variant])}
        >
          <ToastPrimitive.Title className={cn("text-sm font-semibold", t.variant === "error" && "text-destructive")}>
            {t.title}
          </ToastPrimitive.Title>
          {t.description ? (
            <ToastPrimitive.Description className="text-sm text-muted-foreground">{t.description}</ToastPrimitive.Description>
          ) : null}
          <ToastPrimitive.Close className="absolute right-2 top-2 rounded-sm p-1 opacity-70 hover:opacity-100 cursor-pointer" aria-label="Close">
            <X className="h-3.5 w-3.5" />
          </ToastPrimitive.Close>
        </ToastPrimitive.Root>
      ))}
      <ToastPrimitive.Viewport className="fixed bottom-0 right-0 z-[100] flex w-full max-w-sm flex-col gap-2 p-3 outline-none" />
    </ToastPrimitive.Provider>
  );
}
