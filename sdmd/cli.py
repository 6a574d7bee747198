"""The sdmd command: serve, migrate (and, as domains land, worker, scheduler, user)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sdmd.audit.cli import configure_audit, run_audit
from sdmd.auth.cli import bootstrap_admin, configure_user, run_user
from sdmd.config import Settings
from sdmd.logging import configure as configure_logging

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None] = lambda p: None):
    def register(fn: Command) -> Command:
        COMMANDS[name] = (fn, configure, help_text)
        return fn

    return register


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


@command("serve", "run the API and web UI", _serve_args)
def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from sdmd.app import create_app
    from sdmd.core import Core
    from sdmd.security import tls

    core = Core(Settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    bootstrap_admin(core)
    files = tls.resolve(core.settings)
    # proxy_headers off: the app applies X-Forwarded-* itself, only from SDMD_TRUSTED_PROXIES (uvicorn's
    # own default would trust 127.0.0.1, i.e. anything on this machine).
    uvicorn.run(create_app(core=core), host=args.host, port=args.port, log_config=None, access_log=False,
                proxy_headers=False, server_header=False, **(files.uvicorn_kwargs() if files else {}))
    return 0


@command("migrate", "create or upgrade the database schema (idempotent)")
def migrate(_: argparse.Namespace) -> int:
    from sdmd.core import Core

    core = Core(Settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    print(f"database at head: {core.settings.resolved_database_url.split('@')[-1]}")
    return 0


@command("reconcile", "gitops: commit hand edits, sync the git remote and apply changed stacks, once")
def reconcile(_: argparse.Namespace) -> int:
    import json

    from sdmd.core import Core
    from sdmd.gitops.reconcile import reconcile as run

    core = Core(Settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    report = run(core, trigger="cli")
    print(json.dumps(report, indent=2, default=str))
    failed = [s for s in report["stacks"] if s["action"] in ("invalid", "failed")]
    remote_state = (report["remote"] or {}).get("state")
    return 1 if failed or remote_state in ("diverged", "rejected", "error") else 0


command("user", "manage built-in users (local auth mode)", configure_user)(run_user)
command("audit", "audit log maintenance (purge)", configure_audit)(run_audit)


@command("worker", "run the RQ worker that performs update jobs (SDMD_REDIS_URL)")
def worker(_: argparse.Namespace) -> int:
    from sdmd.updates.queue import run_worker

    return run_worker(Settings())


@command("scheduler", "run rq-scheduler, kept reconciled with the schedules table")
def scheduler(_: argparse.Namespace) -> int:
    from sdmd.schedules.scheduler import run_scheduler

    return run_scheduler(Settings())


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    parser = argparse.ArgumentParser(prog="sdmd", description="Self-hosted Docker management dashboard")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, configure, help_text) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][0](args)


if __name__ == "__main__":
    sys.exit(main())
