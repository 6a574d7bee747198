"""The long-lived parts one sdmd process shares: settings, database, Docker, the stacks folder."""

from __future__ import annotations

from functools import cached_property

from sdmd.auth.service import AuthService
from sdmd.config import Settings
from sdmd.db import Database
from sdmd.docker import DockerGateway
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
        gateway = DockerGateway(s.docker_base_url, timeout=s.docker_timeout_seconds,
                                pull_timeout=s.pull_timeout_seconds)
        gateway.compose_timeout = s.compose_timeout_seconds  # live: deadline of a streamed compose command
        return gateway

    @cached_property
    def stacks(self) -> StackStore:
        return StackStore(self.settings.stacks_dir, self.settings.data_dir / "locks")

    @cached_property
    def auth(self) -> AuthService:
        return AuthService(self.settings, self.db)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
