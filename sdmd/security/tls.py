"""TLS for `sdmd serve`: the configured certificate, or a self-signed one made on first start.

The self-signed certificate (ECDSA P-256, made with `cryptography`) and its key live in
$SDMD_DATA_DIR/tls/ (the key mode 0600), so a container keeps the same one across restarts and browsers
need to accept it once. It is made again only when it expired, is about to, or no longer names every
host in SDMD_TLS_HOSTNAMES. A certificate the user provides (SDMD_TLS_CERT_FILE / SDMD_TLS_KEY_FILE)
always wins.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sdmd.config import Settings
from sdmd.secretbox import write_private_file

log = logging.getLogger("sdmd.tls")

SELF_SIGNED_DIR = "tls"
CERT_NAME = "self-signed.crt"
KEY_NAME = "self-signed.key"
VALID_DAYS = 825
RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class TlsFiles:
    cert_file: Path
    key_file: Path
    self_signed: bool

    def uvicorn_kwargs(self) -> dict[str, str]:
        return {"ssl_certfile": str(self.cert_file), "ssl_keyfile": str(self.key_file)}


def resolve(settings: Settings) -> TlsFiles | None:
    """What `sdmd serve` should serve with: None means plain HTTP."""
    if settings.tls_cert_file or settings.tls_key_file:
        if not (settings.tls_cert_file and settings.tls_key_file):
            raise ValueError("SDMD_TLS_CERT_FILE and SDMD_TLS_KEY_FILE go together: set both")
        for path in (settings.tls_cert_file, settings.tls_key_file):
            if not path.is_file():
                raise ValueError(f"TLS file {path} does not exist")
        return TlsFiles(settings.tls_cert_file, settings.tls_key_file, self_signed=False)
    if settings.tls_self_signed:
        return ensure_self_signed(settings.data_dir / SELF_SIGNED_DIR, hostnames(settings))
    return None


def hostnames(settings: Settings) -> list[str]:
    names = ["localhost", "127.0.0.1", "::1", socket.gethostname(), *settings.tls_hostnames]
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def ensure_self_signed(directory: Path, names: list[str], *, now: dt.datetime | None = None) -> TlsFiles:
    now = now or dt.datetime.now(dt.UTC)
    cert_file, key_file = directory / CERT_NAME, directory / KEY_NAME
    if cert_file.is_file() and key_file.is_file() and _still_good(cert_file, names, now):
        return TlsFiles(cert_file, key_file, self_signed=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(key, names, now)
    # Key first: a reader that finds the new certificate also finds its key.
    write_private_file(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    write_private_file(cert_file, cert.public_bytes(serialization.Encoding.PEM))
    cert_file.chmod(0o644)  # public
    log.warning("made a self-signed TLS certificate for %s (SHA-256 %s), valid until %s; set SDMD_TLS_CERT_FILE "
                "and SDMD_TLS_KEY_FILE to use your own", ", ".join(names),
                cert.fingerprint(hashes.SHA256()).hex(":"), cert.not_valid_after_utc.date())
    return TlsFiles(cert_file, key_file, self_signed=True)


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _certificate(key: ec.EllipticCurvePrivateKey, names: list[str], now: dt.datetime) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sdmd (self-signed)")])
    return (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))


def _still_good(cert_file: Path, names: list[str], now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    covered = {str(v) for v in sans.get_values_for_type(x509.DNSName)}
    covered |= {str(v) for v in sans.get_values_for_type(x509.IPAddress)}
    wanted = {str(_san(n).value) for n in names}
    return wanted <= covered and cert.not_valid_after_utc - now > dt.timedelta(days=RENEW_BEFORE_DAYS)
