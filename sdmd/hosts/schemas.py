from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sdmd.services.definition import NAME_MAX

# Documented here, checked by sdmd.hosts (urls.parse, service._name) so that a refusal says what is wrong.
URL_PATTERN = r"^(unix|ssh|tcp)://"
NAME_SCHEMA = {"pattern": r"^[a-z0-9][a-z0-9_-]*$", "maxLength": NAME_MAX}
PEM_EXAMPLE = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"


class TlsMaterial(BaseModel):
    """Mutual TLS for a tcp:// host, as PEM texts (what `docker --tlsverify` takes). Stored with mode 0600,
    never returned."""

    model_config = ConfigDict(strict=True, extra="forbid")

    ca: str = Field(description="the CA that signed the daemon's certificate", examples=[PEM_EXAMPLE])
    cert: str = Field(description="sdmd's client certificate", examples=[PEM_EXAMPLE])
    key: str = Field(description="the client certificate's private key, unencrypted")


class HostCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"name": "web1", "url": "ssh://deploy@web1.example.com", "ssh_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n…",
         "labels": {"site": "fra"}},
        {"name": "db1", "url": "tcp://10.0.0.5:2376", "tls": {"ca": "…", "cert": "…", "key": "…"}},
    ]})

    name: str = Field(description="^[a-z0-9][a-z0-9_-]*$, unique; `local` is taken", examples=["web1"],
                      json_schema_extra=NAME_SCHEMA)
    url: str = Field(description="ssh://[user@]host[:port], tcp://host:port (with tls) or unix:///path",
                     json_schema_extra={"pattern": URL_PATTERN},
                     examples=["ssh://deploy@web1.example.com"])
    labels: dict[str, str] = Field(default_factory=dict, description="free-form key/value tags")
    tls: TlsMaterial | None = Field(default=None, description="required for tcp://")
    ssh_key: str | None = Field(default=None, description="required for ssh://: an unencrypted private key "
                                                          "(OpenSSH or PEM format)")
    fingerprint: str | None = Field(default=None, description="ssh:// only: pin this host key now (SHA256:…, as "
                                                              "`ssh-keygen -lf` prints it); without it, confirm "
                                                              "later with POST /api/hosts/{id}/test")


class HostUpdate(BaseModel):
    """Only the fields given change. A new url or new material is tested before it is stored."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str | None = Field(default=None, description="renaming is refused while services name the host",
                             json_schema_extra=NAME_SCHEMA)
    url: str | None = Field(default=None, json_schema_extra={"pattern": URL_PATTERN})
    labels: dict[str, str] | None = None
    tls: TlsMaterial | None = None
    ssh_key: str | None = None
    fingerprint: str | None = Field(default=None, description="ssh:// only, with a new url: pin this host key")


class HostKeyRead(BaseModel):
    type: str = Field(examples=["ssh-ed25519"])
    fingerprint: str = Field(examples=["SHA256:cASirrE6hwuaN6lUTzkEB5poTDgmSCBVYhbJshJttP4"])


class TlsRead(BaseModel):
    subject: str
    issuer: str
    not_after: str
    ca_subjects: list[str] = []


class SshRead(BaseModel):
    key_type: str | None = Field(description="sdmd's client key")
    key_fingerprint: str | None
    public_key: str | None = Field(description="add this line to the host's authorized_keys")
    host_key_pinned: bool
    host_keys: list[HostKeyRead] = Field(description="the pinned host keys")
    pinned_at: datetime | None = None


class EngineRead(BaseModel):
    version: str | None = None
    api_version: str | None = None
    os: str | None = None
    arch: str | None = None
    kernel: str | None = None


class HostRead(BaseModel):
    id: str = Field(examples=["host_3f9a1c2b4d5e"])
    name: str
    url: str
    kind: str = Field(description="unix | ssh | tcp")
    local: bool = Field(description="the built-in host (SDMD_DOCKER_HOST or the local socket): cannot be "
                                    "changed or removed here")
    labels: dict[str, str]
    state: str = Field(description="connected | reconnecting | unreachable")
    state_since: datetime | None = Field(description="when it entered that state")
    last_error: str | None = Field(description="why it is not connected")
    engine: EngineRead | None = Field(description="from the last connection or test")
    tls: TlsRead | None = None
    ssh: SshRead | None = None
    services: int = Field(description="managed services whose compose.yaml names this host")
    created_at: datetime | None = None
    updated_at: datetime | None = None


class HostTestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fingerprint: str | None = Field(default=None, description="SSH: the host key fingerprint you checked; "
                                                              "pins it when nothing is pinned yet")
    replace: bool = Field(default=False, description="SSH: trust `fingerprint` instead of the key pinned before "
                                                     "(after a reinstall of the host)")


class ComposeCheck(BaseModel):
    ok: bool
    version: str | None = None
    projects: int | None = Field(default=None, description="compose projects `compose ls` found there")
    error: str | None = None


class HostKeyCheck(BaseModel):
    pinned: bool = Field(description="a key is pinned (after this call)")
    pinned_now: bool = Field(default=False, description="this call pinned it")
    fingerprint: str = Field(description="the key the host presents now (the preferred one)")
    type: str
    keys: list[HostKeyRead] = Field(description="every key the host presents")


class HostTestRead(BaseModel):
    ok: bool = Field(description="connected, and compose works there")
    host: str
    latency_ms: float | None = Field(default=None, description="one GET /version, after connecting")
    engine: EngineRead | None = None
    compose: ComposeCheck | None = None
    host_key: HostKeyCheck | None = None
    error: str | None = Field(default=None, description="what to do next when ok is false")


class HostDeleted(BaseModel):
    status: str = "deleted"
    id: str
    orphaned: list[str] = Field(description="services left on the host (forced): their files still name it")

