"""MFA with TOTP (RFC 6238): enrolment, the login's second step, recovery codes, admin
reset and the tenant's policy.

Policy: when a tenant requires MFA, a user without TOTP still logs in, but the tokens
grant no role and no permission (`sessions._issue`), so they serve only to enrol; after
`confirmTotpEnrolment` a refresh or a new login carries the user's roles again.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import Database, TenantId, bind_tenant
from shared.errors import InvalidInput
from shared.internal_auth import UNKNOWN
from shared.settings import Settings
from subgraphs.identity import sessions, tokens
from subgraphs.identity.credentials import hash_password, verify_password
from subgraphs.identity.models import MfaChallenge, MfaPolicy, MfaRecoveryCode, MfaTotp, User
from subgraphs.identity.reads import totp_enabled

ISSUER = "NEXO"
RECOVERY_CODES = 10
CHALLENGE_TTL = dt.timedelta(minutes=5)
MAX_CHALLENGE_FAILURES = 5
MFA_PREFIX = "nxm"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    provisioning_uri: str


@dataclass(frozen=True, slots=True)
class Challenge:
    """The password was right; the login continues with `verify` and this token."""

    mfa_token: str
    expires_in: int


def _code_invalid(field: str) -> InvalidInput:
    return InvalidInput.one(field, Code.MFA_CODE_INVALID, "The code is wrong or was used")


def _token_invalid() -> InvalidInput:
    return InvalidInput.one("mfaToken", Code.INVALID_TOKEN, "The MFA token is invalid or expired")


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The time step (this one or a neighbour, for clock drift) whose code is `code`,
    if it is newer than `after` (so an accepted code cannot be replayed)."""
    totp = pyotp.TOTP(secret)
    now = dt.datetime.now(dt.UTC)
    for drift in (-1, 0, 1):
        at = now + dt.timedelta(seconds=drift * totp.interval)
        step = totp.timecode(at)
        # as bytes: compare_digest refuses str with non-ASCII characters (a TypeError)
        if step > after and hmac.compare_digest(totp.at(at).encode(), code.strip().encode()):
            return step
    return None


# --- enrolment ------------------------------------------------------------------------


async def begin_enrolment(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> Enrolment:
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise InvalidInput.one(None, Code.NOT_FOUND, "No such user")
    row = await session.get(MfaTotp, (tenant, user_id))
    if row is not None and row.confirmed_at is not None:
        raise InvalidInput.one(None, Code.MFA_ALREADY_ENABLED, "TOTP is active already")
    secret = pyotp.random_base32()
    if row is None:
        session.add(MfaTotp(tenant_id=tenant, user_id=user_id, secret=secret, last_step=0))
    else:
        row.secret, row.last_step = secret, 0
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


async def confirm_enrolment(
    session: AsyncSession, tenant: TenantId, user_id: uuid.UUID, *, code: str
) -> list[str]:
    """Activates TOTP; returns the recovery codes, the only time they are shown."""
    row = await session.get(MfaTotp, (tenant, user_id))
    if row is None or row.confirmed_at is not None:
        raise InvalidInput.one(None, Code.MFA_NOT_STARTED, "No TOTP enrolment is pending")
    step = _matching_step(row.secret, code, row.last_step)
    if step is None:
        raise _code_invalid("code")
    row.last_step = step
    row.confirmed_at = dt.datetime.now(dt.UTC)
    await session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    for c in codes:
        session.add(
            MfaRecoveryCode(tenant_id=tenant, user_id=user_id, code_hash=await hash_password(c))
        )
    await session.flush()
    return codes


async def reset(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> User:
    """An admin removes a user's TOTP, recovery codes and pending challenges."""
    user = await session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise InvalidInput.one("userId", Code.NOT_FOUND, "No such user")
    for model in (MfaTotp, MfaRecoveryCode, MfaChallenge):
        await session.execute(delete(model).where(model.user_id == user_id))
    return user


async def set_policy(session: AsyncSession, tenant: TenantId, *, required: bool) -> bool:
    row = await session.get(MfaPolicy, tenant)
    if row is None:
        session.add(MfaPolicy(tenant_id=tenant, required=required))
    else:
        row.required = required
        row.updated_at = dt.datetime.now(dt.UTC)
    await session.flush()
    return required


# --- login ----------------------------------------------------------------------------


async def login(
    session: AsyncSession,
    db: Database,
    settings: Settings,
    *,
    tenant_slug: str,
    email: str,
    password: str,
    source: str = UNKNOWN,
) -> sessions.AuthResult | Challenge:
    """The password step; a user with TOTP gets a challenge instead of tokens."""
    tenant, user = await sessions.authenticate(
        session, db, tenant_slug=tenant_slug, email=email, password=password, source=source
    )
    if not await totp_enabled(session, user.id):
        return await sessions.start_session(session, settings, tenant, user)
    secret = secrets.token_urlsafe(32)
    session.add(
        MfaChallenge(
            tenant_id=tenant,
            user_id=user.id,
            token_hash=tokens.hash_secret(secret),
            expires_at=dt.datetime.now(dt.UTC) + CHALLENGE_TTL,
        )
    )
    await session.flush()
    return Challenge(f"{MFA_PREFIX}.{tenant}.{secret}", int(CHALLENGE_TTL.total_seconds()))


def _parse(token: str) -> tuple[TenantId, str] | None:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != MFA_PREFIX:
        return None
    try:
        return TenantId(uuid.UUID(parts[1])), tokens.hash_secret(parts[2])
    except ValueError:
        return None


async def _count_failure(db: Database, tenant: TenantId, challenge_id: uuid.UUID) -> None:
    """Outlives the request's rolled-back unit of work; enough failures end the token."""
    async with db.transaction(tenant) as s:
        await s.execute(
            update(MfaChallenge)
            .where(MfaChallenge.id == challenge_id)
            .values(failures=MfaChallenge.failures + 1)
        )


async def verify(
    session: AsyncSession,
    db: Database,
    settings: Settings,
    *,
    mfa_token: str,
    code: str | None = None,
    recovery_code: str | None = None,
) -> sessions.AuthResult:
    """The second step: a current TOTP code or an unused recovery code. The token is
    spent on success, and dies after `MAX_CHALLENGE_FAILURES` wrong codes."""
    if (code is None) == (recovery_code is None):
        raise InvalidInput.one(None, Code.INVALID, "Give either `code` or `recoveryCode`")
    parsed = _parse(mfa_token)
    if parsed is None:
        raise _token_invalid()
    tenant, token_hash = parsed
    await bind_tenant(session, tenant)
    now = dt.datetime.now(dt.UTC)
    challenge = await session.scalar(
        select(MfaChallenge).where(MfaChallenge.token_hash == token_hash)
    )
    if (
        challenge is None
        or challenge.used_at is not None
        or challenge.expires_at <= now
        or challenge.failures >= MAX_CHALLENGE_FAILURES
    ):
        raise _token_invalid()
    user = await session.scalar(
        select(User).where(User.id == challenge.user_id, User.active.is_(True))
    )
    totp = await session.get(MfaTotp, (tenant, challenge.user_id), with_for_update=True)
    if user is None or totp is None or totp.confirmed_at is None:
        raise _token_invalid()
    if code is not None:
        step = _matching_step(totp.secret, code, totp.last_step)
        if step is None:
            await _count_failure(db, tenant, challenge.id)
            raise _code_invalid("code")
        totp.last_step = step
    else:
        assert recovery_code is not None
        unused = await session.scalars(
            select(MfaRecoveryCode)
            .where(MfaRecoveryCode.user_id == user.id, MfaRecoveryCode.used_at.is_(None))
            .with_for_update()
        )
        match = None
        for row in unused:
            if await verify_password(recovery_code.strip(), row.code_hash):
                match = row
                break
        if match is None:
            await _count_failure(db, tenant, challenge.id)
            raise _code_invalid("recoveryCode")
        match.used_at = now
    claimed = await session.execute(
        update(MfaChallenge)
        .where(MfaChallenge.id == challenge.id, MfaChallenge.used_at.is_(None))
        .values(used_at=now)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise _token_invalid()  # spent by a concurrent verify
    return await sessions.start_session(session, settings, tenant, user)
