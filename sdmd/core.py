"""The long-lived parts one sdmd process shares: settings, database, Docker, the stacks folder."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from sdmd.config import Settings

# Each part is imported when a process first uses it, so a process pays only for what it uses: the
# scheduler touches `db` alone and never loads docker-py, ruamel or the auth stack (tests/bench/bench_memory.py).
if TYPE_CHECKING:
    from sdmd.auth.service import AuthService
    from sdmd.db import Database
    from sdmd.docker import DockerGateway
    from sdmd.hosts.live import LiveModel
    from sdmd.hosts.registry import HostRegistry
    from sdmd.registries.client import RegistryClient
    from sdmd.secretbox import SecretBox
    from sdmd.services.store import StackStore


class Core:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        # The live model of every host, when this process runs one (the API's lifespan starts it).
        self.live: LiveModel | None = None
        self._host_registries: dict[str, RegistryClient] = {}
        self._registries_lock = threading.Lock()

    @cached_property
    def db(self) -> Database:
        from sdmd.db import Database

        return Database(self.settings.resolved_database_url)

    @cached_property
    def hosts(self) -> HostRegistry:
        """Every Docker host, and this process's gateway to each (sdmd/hosts/registry.py)."""
        from sdmd.hosts.registry import HostRegistry

        return HostRegistry(self.settings, self.db)

    @property
    def docker(self) -> DockerGateway:
        """The gateway of the `local` host."""
        from sdmd.hosts.registry import LOCAL

        return self.hosts.gateway(LOCAL)

    def gateway(self, host: str) -> DockerGateway:
        return self.hosts.gateway(host)

    def on_host(self, host: str) -> Core:
        """This Core with `docker` being `host`'s gateway: code written against `core.docker` (the update
        cycle, registry checks) then works on the service's host unchanged."""
        return _OnHost(self, host)  # type: ignore[return-value]

    def start_live_model(self) -> LiveModel:
        from sdmd.hosts.live import LiveModel

        if self.live is None:
            self.live = LiveModel(self.hosts, self.db).start()
            # Serve once the hosts answered (a host that is down costs this wait once, at start).
            self.live.wait_connected(self.settings.host_timeout_seconds)
        return self.live

    @cached_property
    def stacks(self) -> StackStore:
        from sdmd.services.store import StackStore

        return StackStore(self.settings.stacks_dir, self.settings.data_dir / "locks")

    @cached_property
    def secrets(self) -> SecretBox:
        from sdmd.secretbox import SecretBox

        return SecretBox(self.settings.data_dir)

    @cached_property
    def registries(self) -> RegistryClient:
        """The registry HTTP API (tag lists, image configs); plain HTTP where the local daemon allows it."""
        from sdmd.hosts.registry import LOCAL

        return self._registry_client(LOCAL)

    def registries_on(self, host: str) -> RegistryClient:
        """The registry client for a service on `host`: plain HTTP where THAT host's daemon allows it
        (its --insecure-registry), since that daemon pulls what the check finds. One per host, kept."""
        from sdmd.hosts.registry import LOCAL

        if host == LOCAL:
            return self.registries
        with self._registries_lock:
            client = self._host_registries.get(host)
            if client is None:
                client = self._host_registries[host] = self._registry_client(host)
        return client

    def _registry_client(self, host: str) -> RegistryClient:
        from sdmd.registries.client import RegistryClient

        s = self.settings
        return RegistryClient(timeout=s.registry_timeout_seconds, concurrency=s.registry_concurrency,
                              retry_max_seconds=s.registry_retry_max_seconds, certs_dir=s.registry_certs_dir,
                              insecure=lambda registry: self.gateway(host).insecure_registry(registry))

    @cached_property
    def auth(self) -> AuthService:
        from sdmd.auth.service import AuthService

        def throttled(**report) -> None:
            from sdmd.notifications import messages

            messages.login_throttled(self, **report)

        return AuthService(self.settings, self.db, on_throttled=throttled)

    def __enter__(self) -> Core:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        if "hosts" in self.__dict__:
            self.hosts.close()
        if "db" in self.__dict__:
            self.db.dispose()
        if "registries" in self.__dict__:
            self.registries.close()
        with self._registries_lock:
            others, self._host_registries = list(self._host_registries.values()), {}
        for client in others:
            client.close()


class _OnHost:
    """A view of a Core whose `docker` is one host's gateway; everything else is the Core's own."""

    def __init__(self, core: Core, host: str) -> None:
        self._core = core
        self.host_name = host

    @property
    def docker(self) -> DockerGateway:
        return self._core.gateway(self.host_name)

    @property
    def registries(self) -> RegistryClient:
        return self._core.registries_on(self.host_name)

    def __getattr__(self, name: str):
        return getattr(self._core, name)
