from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SERVER_EXAMPLES = ["ghcr.io", "registry.example.com:5000", "docker.io"]
# host[:port], optionally with a scheme before it and a path after it (both ignored): what
# service.normalize_server accepts, so no server the schema allows is refused.
SERVER_PATTERN = (r"^([A-Za-z][A-Za-z0-9+.-]*://)?(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                  r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)(:[0-9]{1,5})?(/[!-~]*)?$")


class RegistryCreate(BaseModel):
    """Credentials for one registry. Send `password` or `token` (a personal access token, sent the same way)."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={
        "examples": [{"server": "ghcr.io", "username": "octocat", "token": "ghp_..."},
                     {"server": "registry.example.com:5000", "username": "deploy", "password": "s3cret"}],
        # _one_secret below, said in the schema: exactly one of the two is a string (null counts as absent).
        "oneOf": [{"required": ["password"], "properties": {"password": {"type": "string"}}},
                  {"required": ["token"], "properties": {"token": {"type": "string"}}}]})

    server: str = Field(min_length=1, max_length=255, pattern=SERVER_PATTERN, description="registry host[:port]; "
                        "a URL is reduced to its host, Docker Hub's aliases to docker.io", examples=SERVER_EXAMPLES)
    username: str = Field(min_length=1, max_length=255)
    password: str | None = Field(default=None, min_length=1, max_length=4096)
    token: str | None = Field(default=None, min_length=1, max_length=4096)
    verify: bool = Field(default=True, description="log in to the registry first and refuse credentials it rejects")

    @model_validator(mode="after")
    def _one_secret(self) -> RegistryCreate:
        if (self.password is None) == (self.token is None):
            raise ValueError("give exactly one of password or token")
        return self


class RegistryUpdate(RegistryCreate):
    """Replaces the credentials of a registry (the server stays)."""

    server: str | None = Field(default=None, max_length=255, pattern=SERVER_PATTERN,
                               description="ignored unless it differs (then 409)")


class RegistryRead(BaseModel):
    """A registry as the API shows it: never the password or token."""

    id: str
    server: str
    username: str
    secret_kind: Literal["password", "token"]
    created_at: datetime
    updated_at: datetime
