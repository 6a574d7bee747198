"use client";

import * as LabelPrimitive from "@radix-ui/react-label";
import * as React from "react";

import { cn } from "@/lib/utils";

export const Label = React.forwardRef<
  React.ElementRef<typeof LabelPrimitive.Root>,
  React.ComponentPropsWithoutRef<typeof LabelPrimitive.Root>
>(({ className, ...props }, ref) => (
  <LabelPrimitive.Root ref={ref} className={cn("text-sm font-medium leading-none", className)} {...props} />
));
Label.displayName = "Label";

/** A labelled form field with an optional hint and its error messages (every one) wired up for screen readers. */
export function Field({
  id, label, hint, error, children, className,
}: {
  id: string;
  label: React.ReactNode;
  hint?: React.ReactNode;
  error?: string | string[] | null;
  children: React.ReactNode;
  className?: string;
}) {
  const errors = (Array.isArray(error) ? error : error ? [error] : []).filter(Boolean);
  return (
    <div className={cn("flex flex-col gap-1.5", className)}>
      <Label htmlFor={id}>{label}</Label>
      {children}
      {hint && !errors.length ? <p id={`${id}-hint`} className="text-xs text-muted-foreground">{hint}</p> : null}
      {errors.length === 1 ? <p id={`${id}-error`} role="alert" className="text-xs text-destructive">{errors[0]}</p> : null}
      {errors.length > 1 ? (
        <ul id={`${id}-error`} role="alert" className="list-disc space-y-0.5 pl-4 text-xs text-destructive">
          {errors.map((e, i) => <li key={i}>{e}</li>)}
        </ul>
      ) : null}
    </div>
  );
}
