"""All of sdmd's settings, read once from the environment (prefix SDMD_)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SDMD_", env_file=None, extra="ignore")

    data_dir: Path = Path("./data")
    stacks_dir: Path = Path("./stacks")
    # Empty means SQLite in the data dir; PostgreSQL is postgresql+psycopg://user:pass@host/db.
    database_url: str = ""
    # Empty means the local socket (or DOCKER_HOST when the environment sets it).
    docker_host: str = ""
    docker_timeout_seconds: float = Field(default=5.0, gt=0)
    compose_timeout_seconds: float = Field(default=300.0, gt=0)
    pull_timeout_seconds: float = Field(default=300.0, gt=0)
    log_tail_max: int = 10000
    web_dir: Path | None = None  # the built web UI; defaults to the package's static folder
    timezone: str = "UTC"

    # -- deploy: log output (sdmd/logging.py) --
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"  # DEBUG, INFO, WARNING or ERROR

    # --- auth and audit (issue 3) ---
    auth_mode: Literal["local", "supabase"] = "local"
    # Supabase's own variable names (no SDMD_ prefix) are accepted, and the SDMD_-prefixed ones too.
    supabase_url: str = Field(default="", validation_alias=AliasChoices(
        "SUPABASE_URL", "SDMD_SUPABASE_URL", "supabase_url"))
    supabase_anon_key: str = Field(default="", repr=False, validation_alias=AliasChoices(
        "SUPABASE_ANON_KEY", "SDMD_SUPABASE_ANON_KEY", "supabase_anon_key"))
    # Set: tokens are HS256 with this secret, nothing else. Empty: ES256/RS256 keys from the JWKS.
    supabase_jwt_secret: str = Field(default="", repr=False, validation_alias=AliasChoices(
        "SUPABASE_JWT_SECRET", "SDMD_SUPABASE_JWT_SECRET", "supabase_jwt_secret"))
    supabase_jwt_algorithms: list[str] = ["ES256", "RS256"]
    supabase_jwks_cache_seconds: float = Field(default=600.0, gt=0)
    supabase_timeout_seconds: float = Field(default=10.0, gt=0)
    # When sdmd's database is Supabase's PostgreSQL: a token whose session is gone from auth.sessions is refused.
    supabase_check_sessions: bool = False
    admin_email: str = ""
    admin_password: str = Field(default="", repr=False)
    auth_token_lifetime_seconds: int = Field(default=3600, gt=0, le=86400)
    auth_refresh_lifetime_seconds: int = Field(default=30 * 86400, gt=0)
    # Local mode always mints and checks iss (default "sdmd"); Supabase mode checks it only when set.
    auth_issuer: str = ""
    auth_leeway_seconds: int = Field(default=30, ge=0, le=60)
    login_max_failures: int = Field(default=5, gt=0)
    login_window_seconds: int = Field(default=300, gt=0)

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sdmd.db').resolve()}"

    @property
    def docker_base_url(self) -> str | None:
        return self.docker_host or None

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stacks_dir.mkdir(parents=True, exist_ok=True)

    # -- gitops: the stacks folder as a git repository, reconciled with the database and Docker
    reconcile_seconds: float = Field(default=30.0, gt=0)
    gitops_apply: Literal["auto", "manual"] = "auto"  # manual: hand edits wait for POST .../apply
    gitops_prune: bool = False  # a deleted folder's service is removed (else marked orphaned)
    gitops_watch: bool = True  # the API process watches the folder and reconciles periodically
    git_remote: str = ""  # optional: fetch + fast-forward on each reconcile, push sdmd's commits
    git_branch: str = "main"
    # Every git call is killed (its whole process group) past these: local commands, and fetch/push.
    git_timeout_seconds: float = Field(default=30.0, gt=0)
    git_network_timeout_seconds: float = Field(default=120.0, gt=0)

    # -- edit: compose files read and edited by sdmd (issue 17; alias bound from issue 12)
    # Most YAML nodes a compose file may hold with every alias and merge key expanded: an alias bomb
    # is refused from its few kilobytes of text, before ruamel or compose expand it.
    yaml_max_nodes: int = Field(default=100_000, ge=1000)

    # -- schedules and updates (issue 4): Redis, the RQ worker, rq-scheduler, the health gate --
    # Empty means the private redis-server that scripts/run.sh starts on a socket in the data dir.
    redis_url: str = ""
    queue_name: str = "sdmd"
    health_grace_seconds: float = Field(default=10.0, ge=0)
    health_timeout_seconds: float = Field(default=120.0, gt=0)
    update_lock_seconds: int = Field(default=1800, gt=0)
    # The per-service update lock lives this long without renewal: a killed worker's lock frees itself.
    update_lock_ttl_seconds: float = Field(default=30.0, ge=1)
    update_wait_seconds: float = Field(default=120.0, ge=0)
    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    reconcile_interval_seconds: float = Field(default=60.0, gt=0)
    schedule_misfire_grace_seconds: float = Field(default=3600.0, ge=0)
    worker_heartbeat_seconds: int = Field(default=15, ge=1)

    # -- hosts (issue 10): more Docker hosts over ssh:// and tcp:// (mutual TLS), and their live model --
    host_watch: bool = True  # the API process keeps a live model of every host (/events + listings)
    host_timeout_seconds: float = Field(default=3.0, gt=0)  # the model's calls: subscribe, list, ping
    host_ping_seconds: float = Field(default=2.0, gt=0)  # an idle connected host is pinged this often
    host_unreachable_seconds: float = Field(default=10.0, ge=0)  # reconnecting this long: unreachable
    host_backoff_max_seconds: float = Field(default=2.0, gt=0)  # reconnect delays double up to this
    host_resync_seconds: float = Field(default=60.0, gt=0)  # a full re-list now and then (status texts)
    host_sync_seconds: float = Field(default=5.0, gt=0)  # re-read the hosts table (changes by other processes)
    ssh_connect_timeout_seconds: float = Field(default=10.0, gt=0)  # connect and log in, per attempt

    # -- web pages (issue 18): where Settings → About links to the RQ dashboard (run.sh starts it there)
    rq_dashboard_url: str = "http://127.0.0.1:9181"

    # -- updates (issue 11): registries asked without pulling, tag policies, private registries --
    registry_timeout_seconds: float = Field(default=10.0, gt=0)
    registry_concurrency: int = Field(default=4, ge=1, le=64)  # requests in flight per registry, per process
    registry_retry_max_seconds: float = Field(default=60.0, ge=0)  # longest Retry-After a check waits out
    registry_certs_dir: Path = Path("/etc/docker/certs.d")  # the daemon's per-registry CAs, trusted too

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or f"unix://{(self.data_dir / 'redis.sock').resolve()}"

    # -- notifications, alerts and metrics (issue 14) --
    # The address people open sdmd at (e.g. https://sdmd.example.com): alerts link to the service's page.
    public_url: str = ""
    # GET /metrics accepts this bearer token (or a valid API token); empty: API tokens only.
    metrics_token: str = Field(default="", repr=False)
    # A flapping container (or host) gives at most one alert of a kind per window.
    notify_flap_window_seconds: int = Field(default=900, gt=0)
    # A restart loop: this many restarts of one container within notify_restart_loop_minutes.
    notify_restart_loop_count: int = Field(default=5, ge=2)
    notify_restart_loop_minutes: float = Field(default=10.0, gt=0)
    # Waits before each retry of a failed delivery (so at most len+1 attempts).
    notify_retry_seconds: list[int] = Field(default=[10, 60, 300], max_length=10)
    # When the daily digest goes out, local time in SDMD_TIMEZONE (HH:MM).
    notify_digest_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    notify_timeout_seconds: float = Field(default=30.0, gt=0)  # one delivery attempt, whole call
    notify_retention_days: int = Field(default=30, gt=0)  # deliveries older than this are removed daily

    @property
    def notify_queue_name(self) -> str:
        return f"{self.queue_name}-notify"

    # -- live (issue 13): streamed progress, log/stats/state streams, terminals --
    # Every live stream (logs, stats, state, terminal, an operation's progress) counts against one cap per user.
    streams_per_user: int = Field(default=16, ge=1)
    # A log, stats or state stream that sent no data for this long is ended; clients reconnect and resume.
    stream_idle_seconds: float = Field(default=300.0, gt=0)
    # A comment line this often keeps proxies from closing a quiet stream and finds clients that left.
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    # How often an open stream re-checks its token: a logout or an expired token ends it.
    stream_auth_recheck_seconds: float = Field(default=60.0, gt=0)
    # A terminal with neither input nor output for this long is closed (its shell is ended).
    terminal_idle_seconds: float = Field(default=900.0, gt=0)
    # Origins (scheme://host[:port]) besides sdmd's own that may open a terminal WebSocket.
    ws_allowed_origins: list[str] = []
    # Concurrent Docker stats streams per process, shared by everyone looking (one per container).
    stats_max_containers: int = Field(default=200, ge=1)
    # -- security (issue 12): body bounds, TLS, proxies, headers, 2FA, API tokens, webhooks --
    # Largest request body accepted (compose files, definitions, anything): past it 413, before it is read.
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # TLS for `sdmd serve`: a certificate (chain) and key in PEM. Unset: plain HTTP, or a self-signed one.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # No certificate given: make a self-signed one on first start, kept in $SDMD_DATA_DIR/tls/.
    tls_self_signed: bool = False
    # Names and addresses the self-signed certificate is valid for (besides localhost and loopback).
    tls_hostnames: list[str] = []
    hsts_max_age_seconds: int = Field(default=31536000, ge=0)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDR networks).
    trusted_proxies: list[str] = []
    # Two-factor login: forced on for everyone (the API's setting can then not turn it off).
    require_mfa: bool = False
    mfa_issuer: str = "sdmd"
    mfa_challenge_seconds: int = Field(default=300, gt=0, le=3600)
    # Deploy webhooks: calls per webhook, and calls with an unknown secret per client, per window.
    webhook_max_calls: int = Field(default=10, gt=0)
    webhook_max_misses: int = Field(default=30, gt=0)
    webhook_window_seconds: int = Field(default=60, gt=0)

    @property
    def tls_enabled(self) -> bool:
        return bool(self.tls_cert_file) or self.tls_self_signed
