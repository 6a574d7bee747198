"""The Docker token flow (WWW-Authenticate: Bearer realm/service/scope) against a real registry that
demands it, for tag lists (sdmd's HTTP client) and digests (the daemon, with X-Registry-Auth)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sdmd.docker import DockerGateway
from sdmd.docker.registry import RegistryAuth
from sdmd.errors import RegistryAuthFailed
from sdmd.registries.client import RegistryClient
from tests.updates.support import TaggedRepo
from tests.updates.token_server import TokenRegistry, token_registry

pytestmark = pytest.mark.slow


@pytest.fixture
def bearer() -> Iterator[TokenRegistry]:
    yield from token_registry()


@pytest.fixture
def bearer_repo(bearer: TokenRegistry, name_prefix: str) -> Iterator[TaggedRepo]:
    repo = TaggedRepo(f"{name_prefix}-bearer".lower(), registry=bearer.host, docker_config=bearer.docker_config)
    yield repo
    repo.cleanup()  # the registry's storage goes with its folder


def test_bearer_tokens_for_tags_and_digests(bearer, bearer_repo):
    for tag in ("1.0.0", "1.1.0"):
        bearer_repo.build(tag)
    auth = RegistryAuth(server=bearer.host, username=bearer.username, secret=bearer.password)
    client = RegistryClient()
    bearer.token_requests.clear()
    assert sorted(client.list_tags(bearer.host, bearer_repo.repository, auth)) == ["1.0.0", "1.1.0"]
    [request] = bearer.token_requests
    assert request["service"] == "sdmd-test-registry"
    assert request["scope"] == f"repository:sdmd-test/{bearer_repo.name}:pull"
    client.list_tags(bearer.host, bearer_repo.repository, auth)
    client.manifest(bearer.host, bearer_repo.repository, "1.1.0", auth, {"os": "linux", "architecture": "amd64"})
    assert len(bearer.token_requests) == 1  # the token is reused for the same scope until it expires

    with pytest.raises(RegistryAuthFailed) as anonymous:
        RegistryClient().list_tags(bearer.host, bearer_repo.repository, None)
    assert f"{bearer.host} refused anonymous access" in anonymous.value.details
    wrong = RegistryAuth(server=bearer.host, username=bearer.username, secret="wrong")
    with pytest.raises(RegistryAuthFailed) as refused:
        RegistryClient().list_tags(bearer.host, bearer_repo.repository, wrong)
    assert f"{bearer.host} refused user {bearer.username}" in refused.value.details
    assert "wrong" not in str(refused.value) and bearer.password not in str(refused.value)
    RegistryClient().check_login(bearer.host, auth)  # what POST /api/registries verifies
    with pytest.raises(RegistryAuthFailed):
        RegistryClient().check_login(bearer.host, wrong)

    docker = DockerGateway(None)
    digest = docker.inspect_distribution(bearer_repo.ref("1.1.0"), auth).digest
    assert digest == client.manifest(bearer.host, bearer_repo.repository, "1.1.0", auth,
                                     {"os": "linux", "architecture": "amd64"}).digest
    with pytest.raises(RegistryAuthFailed) as denied:
        docker.inspect_distribution(bearer_repo.ref("1.1.0"), wrong)
    assert bearer.host in denied.value.details and bearer.username in denied.value.details
