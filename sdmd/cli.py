"""The sdmd command: serve, migrate, reconcile, user, audit, worker, scheduler.

Each command imports what it needs when it runs: `sdmd --help` loads no sdmd domain at all, and the
worker or the scheduler never load the API (tests/bench/bench_memory.py measures both).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sdmd.config import Settings

Command = Callable[[argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
# name -> (run, configure, help); a str is "module:function", imported only for the chosen command.
COMMANDS: dict[str, tuple[Command | str, Configure | str | None, str]] = {}
# Commands that set up logging themselves, from settings they read without pydantic (the scheduler).
CONFIGURE_OWN_LOGGING = {"scheduler"}


def command(name: str, help_text: str, configure: Configure | str | None = None):
    def register(fn: Command) -> Command:
        COMMANDS[name] = (fn, configure, help_text)
        return fn

    return register


def _resolve(ref: Callable | str) -> Callable:
    if isinstance(ref, str):
        module, _, attr = ref.partition(":")
        return getattr(importlib.import_module(module), attr)
    return ref


def _settings() -> Settings:
    from sdmd.config import Settings

    return Settings()


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


@command("serve", "run the API and web UI", _serve_args)
def serve(args: argparse.Namespace) -> int:
    from sdmd.app import create_app
    from sdmd.auth.cli import bootstrap_admin
    from sdmd.core import Core
    from sdmd.live.server import serve as serve_app
    from sdmd.security import tls

    settings = _settings()
    settings.ensure_dirs()
    _migrate_in_child(settings)
    core = Core(settings)
    bootstrap_admin(core)
    files = tls.resolve(core.settings)
    # live: uvicorn's server, ending open event streams when it stops (see sdmd/live/server.py).
    # proxy_headers off: the app applies X-Forwarded-* itself, only from SDMD_TRUSTED_PROXIES (uvicorn's
    # own default would trust 127.0.0.1, i.e. anything on this machine).
    serve_app(create_app(core=core), host=args.host, port=args.port, log_config=None, access_log=False,
              proxy_headers=False, server_header=False, **(files.uvicorn_kwargs() if files else {}))
    return 0


def _migrate_in_child(settings: Settings) -> None:
    """Alembic and the migration scripts run once, at start; in a forked child, they do not stay
    resident in the API for its lifetime (about 12 MB, tests/bench/bench_memory.py)."""
    from sdmd.core import Core
    from sdmd.forked import in_child

    def migrate_once() -> int:
        with Core(settings) as core:
            core.db.migrate()
        return 0

    if in_child(migrate_once, "migrating the database") != 0:
        raise SystemExit("sdmd: the database migration failed (the error is above); not starting")


@command("migrate", "create or upgrade the database schema (idempotent)")
def migrate(_: argparse.Namespace) -> int:
    from sdmd.core import Core

    core = Core(_settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    print(f"database at head: {core.settings.resolved_database_url.split('@')[-1]}")
    return 0


@command("reconcile", "gitops: commit hand edits, sync the git remote and apply changed stacks, once")
def reconcile(_: argparse.Namespace) -> int:
    import json

    from sdmd.core import Core
    from sdmd.gitops.reconcile import reconcile as run

    core = Core(_settings())
    core.settings.ensure_dirs()
    core.db.migrate()
    report = run(core, trigger="cli")
    print(json.dumps(report, indent=2, default=str))
    failed = [s for s in report["stacks"] if s["action"] in ("invalid", "failed")]
    remote_state = (report["remote"] or {}).get("state")
    return 1 if failed or remote_state in ("diverged", "rejected", "error") else 0


COMMANDS["user"] = ("sdmd.auth.cli:run_user", "sdmd.auth.cli:configure_user", "manage built-in users (local auth mode)")
COMMANDS["audit"] = ("sdmd.audit.cli:run_audit", "sdmd.audit.cli:configure_audit", "audit log maintenance (purge)")


@command("worker", "run the RQ worker that performs update jobs (SDMD_REDIS_URL)")
def worker(_: argparse.Namespace) -> int:
    from sdmd.updates.queue import run_worker

    return run_worker(_settings())


@command("scheduler", "run rq-scheduler, kept reconciled with the schedules table")
def scheduler(_: argparse.Namespace) -> int:
    from sdmd.logging import configure as configure_logging
    from sdmd.schedules.scheduler import LoopSettings, run_scheduler

    settings = LoopSettings.from_environment()
    configure_logging(settings.log_format, settings.log_level)
    return run_scheduler(settings)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="sdmd", description="Self-hosted Docker management dashboard")
    sub = parser.add_subparsers(dest="command", required=True)
    # Only the command being run gets its arguments (and imports its module); the others need just a
    # name and a help line for `sdmd --help`.
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (_, configure, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        if name == chosen and configure is not None:
            _resolve(configure)(sub_parser)
    args = parser.parse_args(argv)
    if args.command not in CONFIGURE_OWN_LOGGING:
        from sdmd.logging import configure as configure_logging

        configure_logging()
    return _resolve(COMMANDS[args.command][0])(args)


if __name__ == "__main__":
    sys.exit(main())
