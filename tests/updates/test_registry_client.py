"""The registry HTTP client against the real registry, behind a small fault-injecting proxy (a real
HTTP server on 127.0.0.1) that answers 429 with Retry-After, counts requests and slows them down.

The shared registry (distribution 2.8) pages only /v2/_catalog, not tags/list; the proxy pages the
registry's real tag list as the distribution spec says (`n`, `last`, `Link: <...>; rel="next"`),
as Docker Hub, GHCR and Harbor do."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from sdmd.docker import DockerGateway
from sdmd.errors import NotFound, RegistryRateLimited
from sdmd.registries.client import RegistryClient, retry_after
from sdmd.updates.check import distribution_digest
from tests.support import REGISTRY
from tests.updates.support import TAGS, TaggedRepo


class FaultyProxy:
    """Forwards to the shared registry; `rate_limit` makes the next N requests answer 429."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.rate_limit = 0
        self.limited_agents: list[str] = []
        self.retry_after = "1"
        self.delay = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                with proxy._lock:
                    proxy.requests.append(self.path)
                    limited = proxy.rate_limit > 0
                    if limited:
                        proxy.limited_agents.append(self.headers.get("User-Agent", ""))
                    proxy.rate_limit -= 1 if limited else 0
                    proxy.in_flight += 1
                    proxy.max_in_flight = max(proxy.max_in_flight, proxy.in_flight)
                counted = [True]

                def answered() -> None:
                    # Counted out before the answer goes: once it is sent, the client may start its next
                    # request before this thread runs again, and the count would see one too many.
                    if counted[0]:
                        counted[0] = False
                        with proxy._lock:
                            proxy.in_flight -= 1

                try:
                    time.sleep(proxy.delay)
                    if limited:
                        answered()
                        self.send_response(429)
                        self.send_header("Retry-After", proxy.retry_after)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    upstream = httpx.request("HEAD" if head else "GET", f"http://{REGISTRY}{self.path}", headers={
                        "Accept": ", ".join(self.headers.get_all("Accept") or ["*/*"]),
                        **({"Authorization": self.headers["Authorization"]} if "Authorization" in self.headers
                           else {})})
                    body, link = upstream.content, None
                    url = urlsplit(self.path)
                    query = parse_qs(url.query)
                    if url.path.endswith("/tags/list") and upstream.status_code == 200 and "n" in query:
                        doc = json.loads(body)
                        tags = sorted(doc["tags"])
                        if "last" in query:
                            tags = [t for t in tags if t > query["last"][0]]
                        page, more = tags[:int(query["n"][0])], len(tags) > int(query["n"][0])
                        body = json.dumps({**doc, "tags": page}).encode()
                        if more:
                            link = f'<{url.path}?{urlencode({"n": query["n"][0], "last": page[-1]})}>; rel="next"'
                    answered()
                    self.send_response(upstream.status_code)
                    for key in ("Content-Type", "Docker-Content-Digest", "WWW-Authenticate",
                                *(("Content-Length",) if head else ())):
                        if key in upstream.headers:
                            self.send_header(key, upstream.headers[key])
                    if link:
                        self.send_header("Link", link)
                    if not head:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(body)
                finally:
                    answered()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def repo() -> Iterator[TaggedRepo]:
    import secrets

    made = TaggedRepo(f"client{secrets.token_hex(3)}").build_all()
    yield made
    made.cleanup()


@pytest.fixture
def proxy() -> Iterator[FaultyProxy]:
    p = FaultyProxy()
    yield p
    p.stop()


def proxied(proxy: FaultyProxy, repo: TaggedRepo) -> str:
    return f"{proxy.host}/sdmd-test/{repo.name}"


def test_tags_follow_link_pagination(proxy, repo):
    client = RegistryClient(page_size=2)
    assert sorted(client.list_tags(proxy.host, proxied(proxy, repo), None)) == sorted(TAGS)
    pages = [p for p in proxy.requests if "/tags/list" in p]
    assert len(pages) == 4 and all("n=2" in p for p in pages) and "last=" in pages[1]


def test_429_with_retry_after_is_waited_out(proxy, repo):
    client = RegistryClient()
    proxy.rate_limit = 1
    started = time.monotonic()
    assert sorted(client.list_tags(proxy.host, proxied(proxy, repo), None)) == sorted(TAGS)
    assert time.monotonic() - started >= 1.0
    assert len([p for p in proxy.requests if "/tags/list" in p]) == 2


def test_a_long_retry_after_fails_at_once_naming_the_registry_and_later_calls_wait(proxy, repo):
    client = RegistryClient(retry_max_seconds=5)
    proxy.rate_limit, proxy.retry_after = 1, "120"
    started = time.monotonic()
    with pytest.raises(RegistryRateLimited) as caught:
        client.list_tags(proxy.host, proxied(proxy, repo), None)
    assert proxy.host in caught.value.details and "120" in caught.value.details
    assert caught.value.headers["Retry-After"] == "120"
    count = len(proxy.requests)
    with pytest.raises(RegistryRateLimited):  # the registry asked for quiet: not asked again meanwhile
        client.manifest(proxy.host, proxied(proxy, repo), "1.0.0", None, {"os": "linux", "architecture": "amd64"})
    assert len(proxy.requests) == count and time.monotonic() - started < 5


def test_concurrency_is_bounded_per_registry(proxy, repo):
    client = RegistryClient(concurrency=2)
    proxy.delay = 0.3
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.list_tags(proxy.host, proxied(proxy, repo), None), range(8)))
    assert all(sorted(r) == sorted(TAGS) for r in results)
    assert proxy.max_in_flight == 2


def test_manifest_and_config_without_layers(repo):
    client = RegistryClient()
    manifest = client.manifest(REGISTRY, repo.repository, "1.1.0", None, {"os": "linux", "architecture": "amd64"})
    assert manifest.config_digest == repo.ids["1.1.0"]
    config = client.image_config(REGISTRY, repo.repository, manifest.config_digest, None)
    assert config["config"]["Labels"]["org.opencontainers.image.version"] == "1.1.0"
    with pytest.raises(NotFound):
        client.manifest(REGISTRY, repo.repository, "9.9.9", None, {"os": "linux", "architecture": "amd64"})


def test_retry_after_forms():
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    assert retry_after(httpx.Response(429)) == 1.0
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 < retry_after(httpx.Response(429, headers={"Retry-After": stamp})) <= 30


def test_a_429_seen_by_the_daemon_is_waited_out_as_the_registry_asks(proxy, repo):
    """The daemon drops Retry-After; the check learns it from the registry's HTTP API and asks again."""
    docker, client = DockerGateway(None), RegistryClient()
    proxy.rate_limit = 2
    started = time.monotonic()
    digest = distribution_digest(docker, client, proxy.host, proxied(proxy, repo), "1.1.0", None)
    assert digest == client.manifest(REGISTRY, repo.repository, "1.1.0", None,
                                     {"os": "linux", "architecture": "amd64"}).digest
    assert proxy.rate_limit <= 0 and proxy.limited_agents[0].startswith("docker/")  # the daemon saw a 429
    if any(agent.startswith("python-httpx") for agent in proxy.limited_agents):
        assert time.monotonic() - started >= 1.0  # sdmd's own call waited out Retry-After: 1
    proxy.rate_limit, proxy.retry_after = 100, "300"
    with pytest.raises(RegistryRateLimited) as caught:
        distribution_digest(docker, RegistryClient(retry_max_seconds=5), proxy.host, proxied(proxy, repo),
                            "1.0.0", None)
    assert caught.value.headers["Retry-After"] == "300" and proxy.host in caught.value.details
