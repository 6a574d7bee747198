"""A registry with the Docker token flow: `docker-registry serve` with `auth: token`, and a token server
of the test's own (a real HTTP server on 127.0.0.1) that checks Basic credentials and issues ES256
JWTs with an x5c header, as Docker Hub's, GHCR's and docker_auth's do. The registry verifies them
against the test's certificate (its rootcertbundle)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.bench.common import free_port

SERVICE = "sdmd-test-registry"
ISSUER = "sdmd-test-token-issuer"


@dataclass
class TokenRegistry:
    host: str
    username: str
    password: str
    docker_config: str
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _signer() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sdmd test token signer")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _token_server(registry: TokenRegistry, key, cert) -> ThreadingHTTPServer:
    x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            registry.token_requests.append(query)
            header = self.headers.get("Authorization", "")
            user = None
            if header.startswith("Basic "):
                name, _, password = base64.b64decode(header[6:]).decode().partition(":")
                if (name, password) != (registry.username, registry.password):
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                user = name
            access = []
            if user and query.get("scope"):
                kind, repo, actions = query["scope"].split(":", 2)
                access.append({"type": kind, "name": repo, "actions": actions.split(",")})
            now = int(time.time())
            token = jwt.encode({"iss": ISSUER, "sub": user or "", "aud": query.get("service", SERVICE), "iat": now,
                                "nbf": now - 10, "exp": now + 300, "jti": secrets.token_hex(8), "access": access},
                               key, algorithm="ES256", headers={"x5c": x5c})
            body = json.dumps({"token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def token_registry() -> Iterator[TokenRegistry]:
    folder = Path(tempfile.mkdtemp(prefix="sdmd-token-registry-"))
    key, cert = _signer()
    (folder / "signer.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    host = f"127.0.0.1:{free_port()}"
    registry = TokenRegistry(host=host, username="sdmd-bearer", password="pw-" + secrets.token_hex(8),
                             docker_config=str(folder / "docker-config"))
    server = _token_server(registry, key, cert)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    realm = f"http://127.0.0.1:{server.server_address[1]}/token"
    (folder / "config.yml").write_text(json.dumps({
        "version": 0.1, "log": {"level": "info"},
        "storage": {"filesystem": {"rootdirectory": str(folder / "storage")}, "delete": {"enabled": True}},
        "http": {"addr": host},
        "auth": {"token": {"realm": realm, "service": SERVICE, "issuer": ISSUER,
                           "rootcertbundle": str(folder / "signer.crt")}},
    }))
    Path(registry.docker_config).mkdir()
    auth = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    (Path(registry.docker_config) / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    log = folder / "registry.log"
    proc = subprocess.Popen(["docker-registry", "serve", str(folder / "config.yml")], stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{host}/v2/", timeout=2).status_code == 401:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(f"token registry did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield registry
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.shutdown()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)
