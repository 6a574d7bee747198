"""`sdmd user add|list|passwd|remove` for built-in users, and the first-run admin of `sdmd serve`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sdmd.audit.log import record
from sdmd.auth import api_tokens, mfa, users
from sdmd.auth.identity import CLI
from sdmd.config import Settings
from sdmd.core import Core
from sdmd.errors import SdmdError

PASSWORD_ENV = "SDMD_PASSWORD"


def configure_user(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="user_command", required=True)
    for name, help_text in (("add", "create a user; password from $SDMD_PASSWORD or stdin"),
                            ("passwd", "set a user's password (ends the user's sessions)"),
                            ("remove", "delete a user and the user's sessions"),
                            ("reset-2fa", "remove a user's two-factor login (a lost phone): they log in with "
                                          "the password and enrol again")):
        sub.add_parser(name, help=help_text).add_argument("email", help="email or user name")
    sub.add_parser("list", help="list users")


def read_password(*, stdin=None, environ=None) -> str:
    """From $SDMD_PASSWORD, else asked twice on a terminal, else the first line of stdin."""
    environ = os.environ if environ is None else environ
    stdin = sys.stdin if stdin is None else stdin
    if environ.get(PASSWORD_ENV):
        return environ[PASSWORD_ENV]
    if stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SdmdError("passwords differ")
        return first
    return stdin.readline().rstrip("\r\n")


def run_user(args: argparse.Namespace) -> int:
    core = Core(Settings())
    if core.settings.auth_mode != "local":
        print("sdmd: users are managed in Supabase when SDMD_AUTH_MODE=supabase", file=sys.stderr)
        return 2
    core.settings.ensure_dirs()
    core.db.migrate()
    try:
        if args.user_command == "list":
            for user in users.list_users(core.db):
                print(f"{user.email}\t{user.id}\t{user.created_at}")
        elif args.user_command == "add":
            user = users.create(core.db, email=args.email, password=read_password())
            record(core.db, actor=CLI, action="user.create", target_id=user.id, target_name=user.email)
            print(f"created user {user.email} ({user.id})")
        elif args.user_command == "passwd":
            user = users.get(core.db, email=args.email)
            user = users.set_password(core.db, email=user.email, password=read_password())
            record(core.db, actor=CLI, action="user.passwd", target_id=user.id, target_name=user.email)
            print(f"password of {user.email} changed; its sessions are ended")
        elif args.user_command == "reset-2fa":
            user = users.get(core.db, email=args.email)
            had = mfa.reset(core.db, user_id=user.id)
            record(core.db, actor=CLI, action="user.mfa_reset", target_id=user.id, target_name=user.email,
                   details={"had_mfa": had})
            print(f"two-factor login of {user.email} " + ("removed" if had else "was not enabled"))
        elif args.user_command == "remove":
            user = users.remove(core.db, email=args.email)
            revoked = api_tokens.revoke_all_of(core.db, owner_id=user.id)  # tokens act as their owner
            record(core.db, actor=CLI, action="user.remove", target_id=user.id, target_name=user.email,
                   details={"api_tokens_revoked": revoked})
            print(f"removed user {user.email}")
    except SdmdError as exc:
        print(f"sdmd: {exc.message}" + (f": {exc.details}" if exc.details else ""), file=sys.stderr)
        return 1
    finally:
        core.close()
    return 0


def bootstrap_admin(core: Core) -> None:
    """No user yet (local mode): create one, from SDMD_ADMIN_EMAIL/PASSWORD or with a random password."""
    s = core.settings
    if s.auth_mode != "local":
        return
    created = users.ensure_admin(core.db, email=s.admin_email, password=s.admin_password)
    if created is None:
        return
    user, generated = created
    record(core.db, actor=CLI, action="user.create", target_id=user.id, target_name=user.email,
           details={"first_run": True})
    if generated:
        # Printed, not logged, and only now: sdmd keeps nothing but its argon2id hash.
        print(f"\n  sdmd: created user '{user.email}' with password: {generated}\n"
              f"  It is shown once. Change it with: sdmd user passwd {user.email}\n", flush=True)
    else:
        print(f"sdmd: created user '{user.email}' from SDMD_ADMIN_EMAIL/SDMD_ADMIN_PASSWORD", flush=True)
