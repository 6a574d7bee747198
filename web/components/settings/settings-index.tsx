"use client";

import Link from "next/link";

import { Card, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { useAbout } from "@/lib/queries/settings";

import { SETTINGS_SECTIONS } from "./sections";

export function SettingsIndex() {
  const about = useAbout(); // also what sends a visitor without a session to the login page
  return (
    <div className="space-y-3">
      <ul className="grid gap-3 sm:grid-cols-2" data-testid="settings-sections">
        {SETTINGS_SECTIONS.map((s) => (
          <li key={s.href}>
            <Link href={s.href} className="block h-full rounded-lg focus-visible:outline-2 focus-visible:outline-ring">
              <Card className="h-full hover:bg-muted/50">
                <CardHeader><CardTitle>{s.label}</CardTitle><CardDescription>{s.description}</CardDescription></CardHeader>
              </Card>
            </Link>
          </li>
        ))}
      </ul>
      {about.data ? <p className="text-xs text-muted-foreground">sdmd {about.data.version}</p> : null}
    </div>
  );
}
