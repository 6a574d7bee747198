"use client";

import { Boxes, LogOut, Monitor, Moon, Plus, Sun } from "lucide-react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Button } from "@/components/ui/button";
import { UnsavedGuard } from "@/components/unsaved-guard";
import { session, loginUrl } from "@/lib/auth/session";
import { logout } from "@/lib/queries/auth";
import { applyTheme, storedTheme, type Theme } from "@/lib/theme";
import { unsaved } from "@/lib/unsaved";
import { cn } from "@/lib/utils";

const NAV = [
  { href: "/", label: "Services" },
  { href: "/images/", label: "Images" },
  { href: "/schedules/", label: "Schedules" },
  { href: "/audit/", label: "Audit log" },
  { href: "/health/", label: "Health" },
  { href: "/gitops/", label: "GitOps" },
  { href: "/settings/", label: "Settings" },
];

const NEXT_THEME: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };

/** Cycles system → light → dark; a plain button keeps popover code out of every page's first load. */
function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>("system");
  useEffect(() => setTheme(storedTheme()), []);
  useEffect(() => {
    if (theme !== "system") return;
    const media = matchMedia("(prefers-color-scheme: dark)");
    const onChange = () => applyTheme("system");
    media.addEventListener("change", onChange);
    return () => media.removeEventListener("change", onChange);
  }, [theme]);
  const Icon = theme === "dark" ? Moon : theme === "light" ? Sun : Monitor;
  const next = NEXT_THEME[theme];
  return (
    <Button
      variant="ghost"
      size="icon"
      data-testid="theme-toggle"
      aria-label={`Theme: ${theme}. Switch to ${next}`}
      title={`Theme: ${theme} (switch to ${next})`}
      onClick={() => {
        setTheme(next);
        applyTheme(next);
      }}
    >
      <Icon aria-hidden />
    </Button>
  );
}

export function AppShell({ children }: { children: React.ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const [loggedIn, setLoggedIn] = useState(false);
  const onLogin = pathname.startsWith("/login");
  useEffect(() => {
    setLoggedIn(session.loggedIn);
    // Every page needs a session, also those that make no API call on their own (the new service form).
    if (!onLogin && !session.loggedIn) {
      router.replace(loginUrl("required", window.location.pathname + window.location.search));
    }
  }, [pathname, onLogin, router]);

  const signOut = () => unsaved.guard(async () => {
    await logout();
    router.replace(loginUrl("logged_out"));
  });

  const active = (href: string) =>
    href === "/" ? pathname === "/" || pathname.startsWith("/service") : pathname.startsWith(href);

  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-card focus:p-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-background/95 backdrop-blur">
        <div className="mx-auto flex max-w-6xl items-center gap-2 px-3 py-2 sm:px-6">
          <Link href="/" className="mr-2 flex items-center gap-2 font-semibold" aria-label="sdmd home">
            <Boxes className="h-5 w-5 text-primary" aria-hidden />
            <span>sdmd</span>
          </Link>
          {!onLogin ? (
            <nav aria-label="Main" className="hidden flex-1 items-center gap-1 lg:flex">
              {NAV.map((item) => (
                <Link
                  key={item.href}
                  href={item.href}
                  aria-current={active(item.href) ? "page" : undefined}
                  className={cn(
                    "rounded-md px-3 py-1.5 text-sm text-muted-foreground hover:bg-muted hover:text-foreground",
                    active(item.href) && "bg-muted font-medium text-foreground",
                  )}
                >
                  {item.label}
                </Link>
              ))}
            </nav>
          ) : <div className="flex-1" />}
          <div className="ml-auto flex items-center gap-1">
            {!onLogin ? (
              // On every screen, in the top row: on a phone it reads "New" and is never cut off.
              <Button asChild size="sm">
                <Link href="/services/new/" data-testid="nav-new">
                  <Plus aria-hidden /> <span className="sm:hidden">New</span><span className="hidden sm:inline">New service</span>
                </Link>
              </Button>
            ) : null}
            <ThemeToggle />
            {loggedIn && !onLogin ? (
              <Button variant="ghost" size="icon" onClick={signOut} aria-label="Log out" data-testid="logout">
                <LogOut aria-hidden />
              </Button>
            ) : null}
          </div>
        </div>
        {!onLogin ? (
          // Wraps rather than scrolls: on a phone every entry stays visible ("New" is in the top row).
          <nav aria-label="Main (compact)" className="flex flex-wrap items-center gap-1 border-t px-2 py-1 lg:hidden">
            {NAV.map((item) => (
              <Link
                key={item.href}
                href={item.href}
                aria-current={active(item.href) ? "page" : undefined}
                className={cn(
                  "whitespace-nowrap rounded-md px-2.5 py-1 text-sm text-muted-foreground",
                  active(item.href) && "bg-muted font-medium text-foreground",
                )}
              >
                {item.label}
              </Link>
            ))}
          </nav>
        ) : null}
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-3 py-4 sm:px-6 sm:py-6">
        {children}
      </main>
      {!onLogin ? <UnsavedGuard /> : null}
    </div>
  );
}
