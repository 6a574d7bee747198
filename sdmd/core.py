"""The long-lived parts one sdmd process shares: settings, database, Docker, the stacks folder."""

from __future__ import annotations

from functools import cached_property

from sdmd.auth.service import AuthService
from sdmd.config import Settings
from sdmd.db import Database
from sdmd.docker import DockerGateway
from sdmd.registries.client import RegistryClient
from sdmd.secretbox import SecretBox
from sdmd.services.store import StackStore


class Core:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.resolved_database_url)

    @cached_property
    def docker(self) -> DockerGateway:
        s = self.settings
        return DockerGateway(s.docker_base_url, timeout=s.docker_timeout_seconds,
                             pull_timeout=s.pull_timeout_seconds)

    @cached_property
    def stacks(self) -> StackStore:
        return StackStore(self.settings.stacks_dir, self.settings.data_dir / "locks")

    @cached_property
    def secrets(self) -> SecretBox:
        return SecretBox(self.settings.data_dir)

    @cached_property
    def registries(self) -> RegistryClient:
        """The registry HTTP API (tag lists, image configs); plain HTTP where the daemon allows it."""
        s = self.settings
        return RegistryClient(timeout=s.registry_timeout_seconds, concurrency=s.registry_concurrency,
                              retry_max_seconds=s.registry_retry_max_seconds, certs_dir=s.registry_certs_dir,
                              insecure=self.docker.insecure_registry)

    @cached_property
    def auth(self) -> AuthService:
        return AuthService(self.settings, self.db)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
        if "registries" in self.__dict__:
            self.registries.close()
