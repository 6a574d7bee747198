"""TLS: the self-signed certificate (made once, kept, renewed when it must be) and `sdmd serve` over
HTTPS, with a certificate the test makes and with the self-signed one, checked by a real TLS client."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sdmd.config import Settings
from sdmd.security import tls
from tests.support import wait_until


def test_self_signed_is_made_once_and_kept(tmp_path: Path):
    directory = tmp_path / "tls"
    first = tls.ensure_self_signed(directory, ["localhost", "127.0.0.1", "sdmd.example.org"])
    original = first.cert_file.read_bytes()
    cert = x509.load_pem_x509_certificate(original)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "sdmd.example.org"]
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert oct(first.key_file.stat().st_mode & 0o777) == "0o600"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > dt.timedelta(days=800)
    again = tls.ensure_self_signed(directory, ["localhost", "127.0.0.1"])  # a subset of the names: kept
    assert again.cert_file.read_bytes() == original
    # A new name, or an expiry within 30 days, makes a new one.
    renamed = tls.ensure_self_signed(directory, ["localhost", "127.0.0.1", "other.example.org"])
    assert renamed.cert_file.read_bytes() != original
    late = dt.datetime.now(dt.UTC) + dt.timedelta(days=tls.VALID_DAYS - 10)
    before = renamed.cert_file.read_bytes()
    tls.ensure_self_signed(directory, ["localhost"], now=late)
    assert renamed.cert_file.read_bytes() != before


def test_resolve_prefers_the_given_certificate_and_checks_it_exists(tmp_path: Path):
    assert tls.resolve(Settings(data_dir=tmp_path)) is None
    with pytest.raises(ValueError, match="go together"):
        tls.resolve(Settings(data_dir=tmp_path, tls_cert_file=tmp_path / "c.pem"))
    with pytest.raises(ValueError, match="does not exist"):
        tls.resolve(Settings(data_dir=tmp_path, tls_cert_file=tmp_path / "c.pem", tls_key_file=tmp_path / "k.pem"))
    made = tls.resolve(Settings(data_dir=tmp_path, tls_self_signed=True, tls_hostnames=["box.lan"]))
    assert made.self_signed and made.cert_file.parent == tmp_path / "tls"
    own = tls.resolve(Settings(data_dir=tmp_path, tls_self_signed=True, tls_cert_file=made.cert_file,
                               tls_key_file=made.key_file))
    assert not own.self_signed


def _ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for 127.0.0.1 signed by it, as a user would bring."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sdmd")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(
                "127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator:
    procs: list[subprocess.Popen] = []

    def start(**env: str) -> tuple[int, Path]:
        port = _free_port()
        data = tmp_path / f"data{len(procs)}"
        full = {**os.environ, "SDMD_DATA_DIR": str(data), "SDMD_STACKS_DIR": str(tmp_path / "stacks"),
                "SDMD_DATABASE_URL": database_url, "SDMD_GITOPS_WATCH": "false", "SDMD_ADMIN_EMAIL": "a@b.c",
                "SDMD_ADMIN_PASSWORD": "long enough password", **env}
        log = tmp_path / f"serve{len(procs)}.log"
        procs.append(subprocess.Popen([sys.executable, "-m", "sdmd.cli", "serve", "--port", str(port)], env=full,
                                      stdout=log.open("w"), stderr=subprocess.STDOUT))
        return port, data

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _up(url: str, verify) -> httpx.Response | None:
    try:
        return httpx.get(url, verify=verify, timeout=5)
    except httpx.TransportError:
        return None


def test_serve_with_a_given_certificate(serve, tmp_path: Path):
    ca, cert, key = _ca_and_server_cert(tmp_path)
    port, _ = serve(SDMD_TLS_CERT_FILE=str(cert), SDMD_TLS_KEY_FILE=str(key))
    trust = ssl.create_default_context(cafile=str(ca))
    response = wait_until(lambda: _up(f"https://127.0.0.1:{port}/healthz", trust), timeout=60, what="sdmd over TLS")
    assert response.json() == {"status": "ok"}
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "server" not in response.headers
    with pytest.raises(httpx.TransportError):  # only HTTPS on that port
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    with pytest.raises(httpx.ConnectError):  # and a client that trusts nothing else refuses it
        httpx.get(f"https://127.0.0.1:{port}/healthz", timeout=5)
    # The image's health check speaks HTTPS when TLS is on.
    check = subprocess.run([sys.executable, "-m", "sdmd.health.selfcheck", "/healthz", str(port)], timeout=30,
                           env={**os.environ, "SDMD_TLS_CERT_FILE": str(cert), "SDMD_TLS_KEY_FILE": str(key)})
    assert check.returncode == 0


def test_serve_self_signed_keeps_its_certificate_across_restarts(serve, tmp_path: Path):
    port, data = serve(SDMD_TLS_SELF_SIGNED="true")
    cert = data / "tls" / tls.CERT_NAME
    wait_until(lambda: cert.exists() and _up(f"https://127.0.0.1:{port}/healthz", False), timeout=60,
               what="sdmd with a self-signed certificate")
    trust = ssl.create_default_context(cafile=str(cert))  # trusting exactly that certificate works
    assert httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust, timeout=5).status_code == 200
    served = ssl.get_server_certificate(("127.0.0.1", port))
    assert x509.load_pem_x509_certificate(served.encode()) == x509.load_pem_x509_certificate(cert.read_bytes())
