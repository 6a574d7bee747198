"""Access tokens shaped like Supabase's: the local signing key, minting, and verification (both modes)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sdmd.auth.errors import InvalidToken
from sdmd.secretbox import write_private_file

AUDIENCE = "authenticated"
LOCAL_ALGORITHM = "ES256"
DEFAULT_LOCAL_ISSUER = "sdmd"
# Claims a token must carry; session_id lets a logout take effect before `exp`.
REQUIRED_CLAIMS = ["exp", "sub", "aud", "session_id"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class VerificationKey:
    key: Any  # a cryptography public key, or the HS256 secret as bytes
    algorithm: str  # fixed by configuration or by the key's type, never by the token's header


class KeySource(Protocol):
    def key_for(self, header: dict[str, Any]) -> VerificationKey: ...


class SigningKey:
    """Local mode's ES256 key pair; the kid is the RFC 7638 thumbprint of the public key."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("the signing key must be a P-256 key")
        self.private_key = private_key
        self.public_key = private_key.public_key()
        numbers = self.public_key.public_numbers()
        self._jwk = {"crv": "P-256", "kty": "EC",
                     "x": _b64(numbers.x.to_bytes(32, "big")), "y": _b64(numbers.y.to_bytes(32, "big"))}
        thumbprint = json.dumps(self._jwk, separators=(",", ":"), sort_keys=True).encode()
        self.kid = _b64(hashlib.sha256(thumbprint).digest())

    def jwk(self) -> dict[str, Any]:
        return {**self._jwk, "kid": self.kid, "alg": LOCAL_ALGORITHM, "use": "sig", "key_ops": ["verify"]}

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """Read the key, or generate it on first run. Two processes racing here end up with the same key."""
        if not path.exists():
            pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            write_private_file(path, pem, exclusive=True)  # another process may win the race; its key is used
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return cls(key)

    def key_for(self, header: dict[str, Any]) -> VerificationKey:
        if header.get("kid") != self.kid:
            raise InvalidToken("unknown signing key")
        return VerificationKey(self.public_key, LOCAL_ALGORITHM)

    def mint(self, *, user_id: str, email: str, session_id: str, issuer: str, lifetime: int,
             now: float | None = None, aal: str = "aal1", amr: list[dict[str, Any]] | None = None) -> tuple[str, int]:
        iat = int(now if now is not None else time.time())
        exp = iat + lifetime
        claims = {
            "iss": issuer, "sub": user_id, "aud": AUDIENCE, "exp": exp, "iat": iat,
            "email": email, "phone": "", "role": "authenticated", "aal": aal,
            "amr": amr or [{"method": "password", "timestamp": iat}], "session_id": session_id,
            "is_anonymous": False, "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
        }
        token = jwt.encode(claims, self.private_key, algorithm=LOCAL_ALGORITHM,
                           headers={"kid": self.kid, "typ": "JWT"})
        return token, exp


class SharedSecret:
    """Supabase's legacy HS256 project secret: the only algorithm accepted when it is configured."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()

    def key_for(self, header: dict[str, Any]) -> VerificationKey:
        return VerificationKey(self.secret, "HS256")


class TokenVerifier:
    def __init__(self, keys: KeySource, *, issuer: str | None, leeway: int) -> None:
        if not 0 <= leeway <= 60:
            raise ValueError("leeway must be between 0 and 60 seconds")
        self.keys = keys
        self.issuer = issuer or None
        self.leeway = leeway

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or InvalidToken (401) saying why."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        key = self.keys.key_for(header)
        options: dict[str, Any] = {"require": REQUIRED_CLAIMS, "verify_signature": True, "verify_exp": True,
                                   "verify_nbf": True, "verify_iat": True, "verify_aud": True,
                                   "verify_iss": self.issuer is not None}
        try:
            claims = jwt.decode(token, key.key, algorithms=[key.algorithm], audience=AUDIENCE,
                                issuer=self.issuer, leeway=self.leeway, options=options)
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc) or type(exc).__name__) from None
        for name in ("sub", "session_id"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise InvalidToken(f'the "{name}" claim must be a non-empty string')
        return claims


def new_uuid() -> str:
    return str(uuid.uuid4())
