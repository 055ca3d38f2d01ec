"""What a user signs in with: the email and password rules, and argon2id hashing."""

from __future__ import annotations

import asyncio
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from shared.codes import Code
from shared.validation import Checks

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# OWASP's argon2id minimum: 19 MiB, 2 iterations, parallelism 1.
_hasher = PasswordHash((Argon2Hasher(memory_cost=19456, time_cost=2, parallelism=1),))
# Verified when the tenant or the user does not exist, so every failure costs one hash.
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password(checks: Checks, field: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        checks.add(
            field,
            Code.PASSWORD_TOO_SHORT,
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        checks.add(field, Code.PASSWORD_TOO_LONG, "The password is too long")


def check_email(checks: Checks, field: str, email: str) -> str:
    """A required email address: blank is REQUIRED, otherwise `Checks.email`'s rules."""
    # TODO(shared): `Checks.email` treats blank as absent; a `required=True` would do this.
    cleaned = checks.email(field, email)
    if cleaned is None:
        checks.add(field, Code.REQUIRED, "This field is required")
        return ""
    return cleaned


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(_hasher.verify, password, password_hash)
