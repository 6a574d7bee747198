"use client";

import { Copy, KeyRound, Trash2, UserPlus } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "@/components/confirm";
import { ErrorPanel } from "@/components/error-panel";
import { LoadProblem } from "@/components/stale-notice";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Field } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { asApiError } from "@/lib/api/errors";
import type { Account } from "@/lib/api/types";
import { relativeTime } from "@/lib/format";
import { useAddUser, useRemoveUser, useResetPassword, useUsers } from "@/lib/queries/settings";
import { toast } from "@/lib/toast";

const MIN_PASSWORD = 8;

function passwordError(password: string): string | null {
  return password && password.length < MIN_PASSWORD ? `at least ${MIN_PASSWORD} characters, or leave it empty` : null;
}

/** A generated password, shown once with a copy button. */
function ShownOnce({ shown, onClose }: { shown: { email: string; password: string } | null; onClose: () => void }) {
  return (
    <Dialog open={!!shown} onOpenChange={(o) => { if (!o) onClose(); }}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Password for {shown?.email}</DialogTitle>
          <DialogDescription>Shown this once: sdmd keeps only its hash. Hand it over safely.</DialogDescription>
        </DialogHeader>
        <div className="flex items-center gap-2">
          <code className="flex-1 break-all rounded bg-muted p-2 font-mono text-sm" data-testid="generated-password">{shown?.password}</code>
          <Button variant="outline" size="icon" aria-label="Copy the password"
            onClick={() => navigator.clipboard?.writeText(shown?.password ?? "").then(() => toast("Copied"))}>
            <Copy aria-hidden />
          </Button>
        </div>
        <DialogFooter><Button onClick={onClose}>Done</Button></DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function PasswordDialog({ mode, user, open, onOpenChange, onShow }: {
  mode: "add" | "reset";
  user?: Account | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onShow: (shown: { email: string; password: string }) => void;
}) {
  const add = useAddUser();
  const reset = useResetPassword();
  const mutation = mode === "add" ? add : reset;
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState(false);
  const emailError = touched && mode === "add" && !email.trim() ? "a name is required" : null;
  const pwError = touched ? passwordError(password) : null;

  const close = (o: boolean) => {
    if (!o) {
      setEmail("");
      setPassword("");
      setTouched(false);
      add.reset();
      reset.reset();
    }
    onOpenChange(o);
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if ((mode === "add" && !email.trim()) || passwordError(password)) return;
    try {
      const result = mode === "add"
        ? await add.mutateAsync({ email: email.trim(), password: password || undefined })
        : await reset.mutateAsync({ id: user!.id, password: password || undefined });
      toast(mode === "add" ? `Added ${result.user.email}` : `New password for ${result.user.email}`, {
        variant: "success", description: mode === "reset" ? "Their sessions have ended." : undefined,
      });
      close(false);
      if (result.password) onShow({ email: result.user.email, password: result.password });
    } catch {
      // shown below
    }
  };

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{mode === "add" ? "Add a user" : `Reset the password of ${user?.email}`}</DialogTitle>
          <DialogDescription>
            {mode === "add" ? "They log in with this name and password." : "Every session of this user ends at once."}
            {mode === "reset" && user?.is_you ? " That includes yours: you will log in again." : ""}
          </DialogDescription>
        </DialogHeader>
        <form className="space-y-4" onSubmit={submit} noValidate data-testid={`${mode}-user-form`}>
          {mode === "add" ? (
            <Field id="u-email" label="Name" hint="An email address, or a name such as ops" error={emailError}>
              <Input id="u-email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" autoFocus aria-invalid={!!emailError} />
            </Field>
          ) : null}
          <Field id="u-password" label="Password" hint="Leave empty to have one generated" error={pwError}>
            <Input id="u-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password" aria-invalid={!!pwError} autoFocus={mode === "reset"} />
          </Field>
          {mutation.error ? <ErrorPanel error={mutation.error} clearOnReconnect /> : null}
          <DialogFooter>
            <Button variant="outline" onClick={() => close(false)}>Cancel</Button>
            <Button type="submit" disabled={mutation.isPending} data-testid={`${mode}-user-submit`}>
              {mutation.isPending ? "Saving…" : mode === "add" ? "Add user" : "Set password"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function UsersPage() {
  const { data, error, refetch, isPending, dataUpdatedAt } = useUsers();
  const remove = useRemoveUser();
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<Account | null>(null);
  const [removing, setRemoving] = useState<Account | null>(null);
  const [shown, setShown] = useState<{ email: string; password: string } | null>(null);
  const supabase = error && asApiError(error).status === 409;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 className="text-lg font-semibold">Users</h2>
          <p className="text-sm text-muted-foreground">Everyone here can manage every service: sdmd has no roles.</p>
        </div>
        <Button onClick={() => setAdding(true)} disabled={!data} data-testid="add-user"><UserPlus aria-hidden /> Add user</Button>
      </div>
      {!supabase ? <LoadProblem error={error} hasData={!!data} updatedAt={dataUpdatedAt} onRetry={() => refetch()} /> : null}
      {isPending ? <Skeleton className="h-32" /> : supabase ? (
        <p className="rounded-md border border-info/40 bg-info/5 p-3 text-sm" data-testid="users-supabase">
          Users are managed in Supabase Auth (SDMD_AUTH_MODE=supabase): add and remove them there.
        </p>
      ) : !data ? null : (
        <Card className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="users">
            <caption className="sr-only">Users</caption>
            <thead className="border-b text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Name</th>
                <th scope="col" className="hidden px-3 py-2 font-medium sm:table-cell">Last login</th>
                <th scope="col" className="hidden px-3 py-2 font-medium md:table-cell">Sessions</th>
                <th scope="col" className="hidden px-3 py-2 font-medium md:table-cell">Added</th>
                <th scope="col" className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {(data ?? []).map((u) => (
                <tr key={u.id} className="border-b last:border-b-0" data-testid="user-row" data-email={u.email}>
                  <td className="px-3 py-2">
                    <span className="break-all font-medium">{u.email}</span>
                    {u.is_you ? <Badge variant="info" className="ml-2">you</Badge> : null}
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell" title={u.last_login_at ? new Date(u.last_login_at).toLocaleString() : undefined}>
                    {u.last_login_at ? relativeTime(u.last_login_at) : "never"}
                  </td>
                  <td className="hidden px-3 py-2 tabular-nums md:table-cell">{u.active_sessions}</td>
                  <td className="hidden px-3 py-2 md:table-cell">{new Date(u.created_at).toLocaleDateString()}</td>
                  <td className="whitespace-nowrap px-3 py-2 text-right">
                    <Button variant="ghost" size="sm" onClick={() => setResetting(u)} data-testid="reset-password">
                      <KeyRound aria-hidden /> <span className="hidden sm:inline">Reset password</span>
                    </Button>
                    <Button variant="ghost" size="sm" onClick={() => setRemoving(u)} disabled={u.is_you || (data?.length ?? 0) < 2}
                      title={u.is_you ? "You cannot remove yourself" : undefined} aria-label={`Remove ${u.email}`} data-testid="remove-user">
                      <Trash2 aria-hidden />
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}

      <PasswordDialog mode="add" open={adding} onOpenChange={setAdding} onShow={setShown} />
      <PasswordDialog mode="reset" user={resetting} open={!!resetting} onOpenChange={(o) => { if (!o) setResetting(null); }} onShow={setShown} />
      <ShownOnce shown={shown} onClose={() => setShown(null)} />
      <ConfirmDialog
        open={!!removing}
        onOpenChange={(o) => { if (!o) { setRemoving(null); remove.reset(); } }}
        title={`Remove ${removing?.email ?? ""}?`}
        description={<p>They can no longer log in, and their sessions end at once. The audit log keeps what they did.</p>}
        confirmLabel="Remove user"
        destructive
        busy={remove.isPending}
        onConfirm={async () => {
          if (!removing) return;
          try {
            await remove.mutateAsync(removing.id);
            toast(`Removed ${removing.email}`, { variant: "success" });
            setRemoving(null);
          } catch {
            // shown in the dialog
          }
        }}
      >
        {remove.error ? <ErrorPanel error={remove.error} clearOnReconnect /> : null}
      </ConfirmDialog>
    </div>
  );
}
