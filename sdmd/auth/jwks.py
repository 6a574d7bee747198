"""Supabase's public signing keys (JWKS), cached; an unknown kid triggers a refetch at most once a minute."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt

from sdmd.auth.errors import InvalidToken
from sdmd.auth.tokens import VerificationKey
from sdmd.errors import UpstreamUnavailable

log = logging.getLogger("sdmd.auth")

# The algorithm follows from the key, so a token cannot pick it: HS* keys ("oct") are never taken from a JWKS.
KEY_TYPE_ALGORITHMS = {("EC", "P-256"): "ES256", ("RSA", None): "RS256"}
MIN_REFETCH_SECONDS = 60.0
RETRY_WITHOUT_KEYS_SECONDS = 5.0


def _algorithm(jwk: dict[str, Any]) -> str | None:
    kty = jwk.get("kty")
    expected = KEY_TYPE_ALGORITHMS.get((kty, jwk.get("crv") if kty == "EC" else None))
    if expected is None:
        return None
    declared = jwk.get("alg")
    if declared is not None and declared != expected:
        return None
    return expected


class JwksCache:
    def __init__(self, fetch: Callable[[], dict[str, Any]], *, algorithms: list[str], ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self.algorithms = set(algorithms)
        self.ttl = ttl
        self.clock = clock
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, header: dict[str, Any]) -> VerificationKey:
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no kid; asymmetric keys are configured")
        with self._lock:
            now = self.clock()
            if self._fetched_at is None or now - self._fetched_at >= self.ttl:
                self._refresh(now, required=not self._keys)
            key = self._keys.get(kid)
            if key is None:  # perhaps a rotated key: look again, within the refetch limit
                self._refresh(now, required=False)
                key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    def _refresh(self, now: float, *, required: bool) -> None:
        # Rate-limit attempts, not only successes: an unreachable JWKS must not be hammered per request.
        gap = MIN_REFETCH_SECONDS if self._keys else RETRY_WITHOUT_KEYS_SECONDS
        if self._attempted_at is not None and now - self._attempted_at < gap:
            if required:
                raise UpstreamUnavailable("auth service unavailable", "JWKS not fetched yet; retrying shortly")
            return
        self._attempted_at = now
        self.fetches += 1
        try:
            document = self._fetch()
            keys = self._parse(document)
        except Exception as exc:
            log.warning("could not fetch the JWKS: %s", exc)
            if required:
                raise UpstreamUnavailable("auth service unavailable", f"JWKS: {exc}") from None
            return
        self._keys = keys
        self._fetched_at = now

    def _parse(self, document: dict[str, Any]) -> dict[str, VerificationKey]:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")
        keys: dict[str, VerificationKey] = {}
        for jwk in document["keys"]:
            if not isinstance(jwk, dict) or not jwk.get("kid") or jwk.get("use", "sig") != "sig":
                continue
            algorithm = _algorithm(jwk)
            if algorithm is None or algorithm not in self.algorithms:
                continue
            try:
                keys[jwk["kid"]] = VerificationKey(jwt.PyJWK(jwk, algorithm).key, algorithm)
            except jwt.PyJWTError as exc:
                log.warning("skipping JWK %s: %s", jwk.get("kid"), exc)
        return keys
