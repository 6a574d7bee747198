"""TLS and SSH material of a host: checked with `cryptography`, stored as private files, never returned.

Files live in `$SDMD_DATA_DIR/hosts/<host id>/` (directory 0700, files 0600, written atomically by
sdmd.secretbox.write_private_file): `ca.pem`, `cert.pem`, `key.pem` for tcp+TLS, `ssh_key` and
`known_hosts` for SSH. What the API shows about them is only public metadata (subjects, expiry,
fingerprints).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from sdmd.errors import InvalidInput
from sdmd.secretbox import write_private_file

CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "cert.pem", "key.pem"
SSH_KEY_FILE = "ssh_key"
KNOWN_HOSTS_FILE = "known_hosts"
MATERIAL_MAX = 64 * 1024


def _text(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("invalid TLS material" if what != "ssh_key" else "invalid SSH key", f"{what} is required")
    if len(value) > MATERIAL_MAX:
        raise InvalidInput("invalid host material", f"{what} is larger than {MATERIAL_MAX} bytes")
    return (value.strip().replace("\r\n", "\n") + "\n").encode()


def _name(cert: x509.Certificate, which: str) -> str:
    return getattr(cert, which).rfc4514_string()


def check_tls(material: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
    """{file: bytes} to store, and the public metadata. Refuses anything that would not work."""
    if not isinstance(material, dict):
        raise InvalidInput("invalid TLS material", "tls must be an object {ca, cert, key} of PEM texts")
    unknown = sorted(set(material) - {"ca", "cert", "key"})
    if unknown:
        raise InvalidInput("invalid TLS material", f"unknown keys: {', '.join(unknown)}")
    ca, cert, key = (_text(material.get(k), f"tls.{k}") for k in ("ca", "cert", "key"))
    try:
        authorities = x509.load_pem_x509_certificates(ca)
    except ValueError as exc:
        raise InvalidInput("invalid TLS material", f"tls.ca is not a PEM certificate: {exc}") from exc
    try:
        client = x509.load_pem_x509_certificate(cert)
    except ValueError as exc:
        raise InvalidInput("invalid TLS material", f"tls.cert is not a PEM certificate: {exc}") from exc
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except TypeError as exc:
        raise InvalidInput("invalid TLS material", "tls.key is encrypted; give it without a passphrase") from exc
    except ValueError as exc:
        raise InvalidInput("invalid TLS material", f"tls.key is not a PEM private key: {exc}") from exc
    if private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) \
            != client.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo):
        raise InvalidInput("invalid TLS material", "tls.key does not belong to tls.cert")
    info = {
        "subject": _name(client, "subject"),
        "issuer": _name(client, "issuer"),
        "not_after": client.not_valid_after_utc.astimezone(UTC).isoformat(),
        "ca_subjects": [_name(a, "subject") for a in authorities],
    }
    return {CA_FILE: ca, CERT_FILE: cert, KEY_FILE: key}, info


def _public_openssh(private: Any) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)


def check_ssh_key(value: Any) -> tuple[dict[str, bytes], dict[str, Any]]:
    """An unencrypted private key OpenSSH can use (OpenSSH or PEM format)."""
    data = _text(value, "ssh_key")
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            private = serialization.load_ssh_private_key(data, password=None)
        else:
            private = serialization.load_pem_private_key(data, password=None)
    except TypeError as exc:
        raise InvalidInput("invalid SSH key", "the key is encrypted; give it without a passphrase") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidInput("invalid SSH key", f"ssh_key is not a private key OpenSSH reads: {exc}") from exc
    if not isinstance(private, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
                      | dsa.DSAPrivateKey):
        raise InvalidInput("invalid SSH key", "use an ed25519, ECDSA or RSA key")
    public = _public_openssh(private)
    kind, blob = public.split()[:2]
    digest = base64.b64encode(hashlib.sha256(base64.b64decode(blob)).digest()).decode().rstrip("=")
    return {SSH_KEY_FILE: data}, {"type": kind.decode(), "fingerprint": f"SHA256:{digest}",
                                  "public_key": public.decode()}


def store(directory: Path, files: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    for name, data in files.items():
        write_private_file(directory / name, data)


def remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
