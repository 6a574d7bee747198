"""Two-factor login for built-in users: TOTP (RFC 6238, pyotp) plus ten one-time recovery codes.

The TOTP secret is kept encrypted (SecretBox, the data dir's key); recovery codes only as SHA-256 hashes
(each has about 60 random bits, so a fast hash is enough; login throttling limits guessing anyway).
A code is accepted in the current 30-second step or the one before or after (clock drift), and only
once: the last accepted step is stored, so a code seen over someone's shoulder cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
import sqlalchemy as sa

from sdmd.auth.models import RecoveryCode, UserMfa
from sdmd.db.base import Database, utcnow
from sdmd.errors import Conflict, Forbidden
from sdmd.secretbox import SecretBox

INTERVAL = 30
DIGITS = 6
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS = 3
RECOVERY_GROUP_LENGTH = 4
TOTP = "totp"
RECOVERY = "recovery_code"


class WrongCode(Forbidden):
    """A code that proves nothing. 403, not 401: the caller's session is fine, the code is not."""

    message = "invalid two-factor code"

    def __init__(self, details: str = "enter a current code or an unused recovery code") -> None:
        super().__init__(details=details)


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    pending: bool
    enabled_at: str | None
    recovery_codes_left: int


@dataclass(frozen=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    qr_svg: str  # a data: URI of an SVG image, ready for <img src>


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_recovery_codes() -> list[str]:
    return ["-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
                     for _ in range(RECOVERY_GROUPS)) for _ in range(RECOVERY_CODE_COUNT)]


def qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    if not re.fullmatch(rf"\d{{{DIGITS}}}", code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    step = int(now // INTERVAL)
    found = None
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        # Every candidate is compared (no early exit), in constant time.
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            found = candidate
    return found


def status(db: Database, *, user_id: str) -> MfaStatus:
    with db.sessions() as session:
        row = session.get(UserMfa, user_id)
        left = session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                              .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0
    enabled = row is not None and row.enabled_at is not None
    return MfaStatus(enabled=enabled, pending=row is not None and not enabled,
                     enabled_at=row.enabled_at.isoformat() if enabled and row else None,
                     recovery_codes_left=left if enabled else 0)


def is_enabled(db: Database, *, user_id: str) -> bool:
    with db.sessions() as session:
        return session.scalar(sa.select(sa.literal(1)).where(UserMfa.user_id == user_id,
                                                             UserMfa.enabled_at.is_not(None))) is not None


def begin_enrolment(db: Database, box: SecretBox, *, user_id: str, email: str, issuer: str) -> Enrolment:
    """A new secret, pending until a code from it is confirmed; an earlier pending one is replaced."""
    secret = pyotp.random_base32(length=32)
    with db.session() as session:
        row = session.get(UserMfa, user_id)
        if row is not None and row.enabled_at is not None:
            raise Conflict("two-factor login already enabled", "disable it first to enrol another authenticator")
        if row is None:
            session.add(UserMfa(user_id=user_id, secret=box.encrypt(secret), created_at=utcnow()))
        else:
            row.secret, row.created_at, row.last_step = box.encrypt(secret), utcnow(), None
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(name=email, issuer_name=issuer)
    return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=qr_data_uri(uri))


def confirm_enrolment(db: Database, box: SecretBox, *, user_id: str, code: str, now: float | None = None) -> list[str]:
    """Turn two-factor login on with a code from the pending secret; returns the recovery codes (shown once)."""
    with db.sessions() as session:
        row = session.get(UserMfa, user_id)
    if row is None or row.enabled_at is not None:
        raise Conflict("no enrolment pending", "start one with POST /api/security/mfa/enrol")
    step = _matching_step(box.decrypt(row.secret), normalize_code(code), time.time() if now is None else now)
    if step is None:
        raise WrongCode("enter the current 6-digit code from the authenticator app")
    codes = new_recovery_codes()
    with db.session() as session:
        updated = session.execute(sa.update(UserMfa).where(UserMfa.user_id == user_id, UserMfa.enabled_at.is_(None),
                                                           UserMfa.secret == row.secret)
                                  .values(enabled_at=utcnow(), last_step=step))
        if updated.rowcount != 1:
            raise Conflict("enrolment changed meanwhile", "start the enrolment again")
        _replace_recovery_codes(session, user_id, codes)
    return codes


def _replace_recovery_codes(session, user_id: str, codes: list[str]) -> None:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash_recovery(c)) for c in codes)


def verify(db: Database, box: SecretBox, *, user_id: str, code: str, now: float | None = None) -> str | None:
    """The method that matched (totp or recovery_code), or None. A matched code is used up."""
    code = normalize_code(code)
    with db.sessions() as session:
        row = session.get(UserMfa, user_id)
    if row is None or row.enabled_at is None:
        return None
    step = _matching_step(box.decrypt(row.secret), code, time.time() if now is None else now)
    if step is not None:
        with db.session() as session:
            # Compare-and-set: of two requests with the same code, one wins; an older step never does.
            updated = session.execute(sa.update(UserMfa).where(
                UserMfa.user_id == user_id, sa.or_(UserMfa.last_step.is_(None), UserMfa.last_step < step))
                .values(last_step=step))
        return TOTP if updated.rowcount == 1 else None
    with db.session() as session:
        used = session.execute(sa.update(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None)).values(used_at=utcnow()))
    return RECOVERY if used.rowcount >= 1 else None


def regenerate_recovery_codes(db: Database, box: SecretBox, *, user_id: str, code: str) -> list[str]:
    if not is_enabled(db, user_id=user_id):
        raise Conflict("two-factor login is not enabled")
    if verify(db, box, user_id=user_id, code=code) is None:
        raise WrongCode()
    codes = new_recovery_codes()
    with db.session() as session:
        _replace_recovery_codes(session, user_id, codes)
    return codes


def disable(db: Database, box: SecretBox, *, user_id: str, code: str) -> None:
    if not is_enabled(db, user_id=user_id):
        raise Conflict("two-factor login is not enabled")
    if verify(db, box, user_id=user_id, code=code) is None:
        raise WrongCode()
    reset(db, user_id=user_id)


def reset(db: Database, *, user_id: str) -> bool:
    """Remove the user's authenticator and recovery codes (the CLI's reset); True if there was one."""
    with db.session() as session:
        session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        return session.execute(sa.delete(UserMfa).where(UserMfa.user_id == user_id)).rowcount > 0

