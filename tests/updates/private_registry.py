"""A second local registry that requires a login: `docker-registry serve` with htpasswd auth, which
the registry allows only over TLS, so the test makes a CA and a certificate for 127.0.0.1.

The Docker daemon reads /etc/docker/certs.d/<host:port>/ca.crt on every pull (no restart needed):
the fixture writes it and removes it afterwards. Images are pushed with a DOCKER_CONFIG of the
test's own, so the host's docker login state is never touched.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import shutil
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.bench.common import free_port

CERTS_D = Path("/etc/docker/certs.d")


@dataclass
class PrivateRegistry:
    host: str
    username: str
    password: str
    ca_file: Path
    docker_config: str
    log: Path


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sdmd test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.crt", folder / "server.crt", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def start(folder: Path) -> tuple[PrivateRegistry, subprocess.Popen]:
    port = free_port()
    host = f"127.0.0.1:{port}"
    ca, cert, key = _certificates(folder)
    username, password = "sdmd-test", "pw-" + secrets.token_hex(8)
    (folder / "htpasswd").write_text(f"{username}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()}\n")
    (folder / "config.yml").write_text(json.dumps({  # YAML is a superset of JSON
        "version": 0.1, "log": {"level": "info"},
        "storage": {"filesystem": {"rootdirectory": str(folder / "storage")}, "delete": {"enabled": True}},
        "http": {"addr": host, "tls": {"certificate": str(cert), "key": str(key)}},
        "auth": {"htpasswd": {"realm": "sdmd-test", "path": str(folder / "htpasswd")}},
    }))
    trust = CERTS_D / host
    trust.mkdir(parents=True, exist_ok=True)
    shutil.copy(ca, trust / "ca.crt")
    config = folder / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    log = folder / "registry.log"
    proc = subprocess.Popen(["docker-registry", "serve", str(folder / "config.yml")], stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    trusted = ssl.create_default_context(cafile=str(ca))
    while True:
        try:
            if httpx.get(f"https://{host}/v2/", verify=trusted, timeout=2).status_code == 401:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            stop(proc, host)
            raise AssertionError(f"private registry did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return PrivateRegistry(host, username, password, ca, str(config), log), proc


def stop(proc: subprocess.Popen, host: str) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    shutil.rmtree(CERTS_D / host, ignore_errors=True)


def private_registry_fixture():
    folder = Path(tempfile.mkdtemp(prefix="sdmd-private-registry-"))
    registry, proc = start(folder)
    try:
        yield registry
    finally:
        stop(proc, registry.host)
        shutil.rmtree(folder, ignore_errors=True)
