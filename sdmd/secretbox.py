"""Secrets at rest: private files (mode 0600) and a Fernet box for values kept in the database.

Used by every domain that stores a secret: registry passwords, notification URLs, host TLS and SSH
material. The Fernet key lives in the data dir (`secret.key`); losing it makes the stored secrets
unreadable, so it belongs in the same backup as the database.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "secret.key"


def write_private_file(path: Path, data: bytes, *, exclusive: bool = False) -> bool:
    """Write `data` to `path` with mode 0600, atomically (a reader sees all of it or nothing).

    With `exclusive`, an existing file wins (two processes racing to create a key end up with the
    same one) and False is returned.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


class SecretBox:
    """Encrypts short secrets (passwords, tokens, URLs) for storage; the key is made on first use."""

    def __init__(self, data_dir: Path) -> None:
        path = data_dir / KEY_FILE
        if not path.exists():
            write_private_file(path, Fernet.generate_key(), exclusive=True)
        self._fernet = Fernet(path.read_bytes().strip())

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this data dir's secret.key") from exc


def mask(secret: str, keep: int = 0) -> str:
    """What the API shows instead of a secret."""
    if not secret:
        return ""
    return (secret[:keep] if keep else "") + "••••••"
