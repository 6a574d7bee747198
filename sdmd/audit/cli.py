"""`sdmd audit purge`: the 90-day retention purge on demand (the API also runs it daily)."""

from __future__ import annotations

import argparse

from sdmd.audit.retention import RETENTION_DAYS, purge
from sdmd.auth.identity import CLI
from sdmd.config import Settings
from sdmd.core import Core


def configure_audit(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True)
    sub.add_parser("purge", help=f"delete audit records older than {RETENTION_DAYS} days")


def run_audit(args: argparse.Namespace) -> int:
    core = Core(Settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    try:
        deleted = purge(core.db, actor=CLI)
    finally:
        core.close()
    print(f"purged {deleted} audit records older than {RETENTION_DAYS} days")
    return 0
