"""Sessions: login with throttling, refresh-token rotation with reuse detection, logout.

Login and refresh have side effects that must outlive a failed attempt (the throttle
count, revoking a token family on reuse); those run in their own short transactions on
`db`, never in the caller's unit of work, which rolls back on failure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.codes import Code
from shared.db import Database, TenantId, bind_tenant
from shared.errors import InvalidInput, RateLimited
from shared.settings import Settings
from subgraphs.identity import tokens
from subgraphs.identity.credentials import DUMMY_HASH, verify_password
from subgraphs.identity.models import LoginThrottle, RefreshToken, Tenant, User
from subgraphs.identity.reads import roles_of

MAX_FAILURES = 10
FAILURE_WINDOW = dt.timedelta(minutes=15)
COOL_OFF = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class AuthResult:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    roles: list[str]
    permissions: list[str]
    token_id: str

    def principal(self) -> Principal:
        """Who the caller is from now on, so the payload resolves as the new user."""
        return Principal(
            user_id=self.user.id,
            tenant_id=TenantId(self.user.tenant_id),
            roles=frozenset(self.roles),
            permissions=frozenset(self.permissions),
            token_id=self.token_id,
        )


def invalid_credentials() -> InvalidInput:
    return InvalidInput.one(None, Code.INVALID_CREDENTIALS, "Unknown tenant, email or password")


def invalid_refresh_token() -> InvalidInput:
    return InvalidInput.one(
        "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid or expired"
    )


# --- login and its throttle -----------------------------------------------------------


def _throttle_key(tenant_slug: str, email: str) -> str:
    return hashlib.sha256(
        f"{tenant_slug.strip().lower()}\0{email.strip().lower()}".encode()
    ).hexdigest()


async def _record_failure(db: Database, key: str) -> None:
    now = func.now()
    fresh = LoginThrottle.window_started_at < now - FAILURE_WINDOW
    failures = case((fresh, 1), else_=LoginThrottle.failures + 1)
    stmt = insert(LoginThrottle).values(
        key_hash=key, failures=1, window_started_at=now, locked_until=None
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key_hash],
        set_={
            "failures": failures,
            "window_started_at": case((fresh, now), else_=LoginThrottle.window_started_at),
            "locked_until": case(
                (failures >= MAX_FAILURES, now + COOL_OFF), else_=LoginThrottle.locked_until
            ),
        },
    )
    async with db.transaction(None) as session:
        await session.execute(stmt)


async def login(
    session: AsyncSession,
    db: Database,
    settings: Settings,
    *,
    tenant_slug: str,
    email: str,
    password: str,
) -> AuthResult:
    """Same error, same cost, for an unknown tenant, an unknown email and a wrong password."""
    key = _throttle_key(tenant_slug, email)
    locked = await session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key_hash == key, LoginThrottle.locked_until > func.now()
        )
    )
    if locked is not None:
        raise RateLimited("Too many failed logins; try again later", retryAfter=locked.isoformat())
    tenant_row = await session.scalar(
        select(Tenant).where(Tenant.slug == tenant_slug.strip().lower())
    )
    user: User | None = None
    if tenant_row is not None:
        await bind_tenant(session, TenantId(tenant_row.id))
        user = await session.scalar(
            select(User).where(
                func.lower(User.email) == email.strip().lower(), User.active.is_(True)
            )
        )
    ok = await verify_password(password, user.password_hash if user else DUMMY_HASH)
    if not ok or user is None or tenant_row is None:
        await _record_failure(db, key)
        raise invalid_credentials()
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key))
    return await start_session(session, settings, TenantId(tenant_row.id), user)


# --- issuing, refresh, logout ---------------------------------------------------------


async def start_session(
    session: AsyncSession, settings: Settings, tenant: TenantId, user: User
) -> AuthResult:
    """A new token family for the user: an access token and its first refresh token."""
    return await _issue(session, settings, tenant, user, family_id=uuid.uuid4())


async def _issue(
    session: AsyncSession, settings: Settings, tenant: TenantId, user: User, *, family_id: uuid.UUID
) -> AuthResult:
    roles = await roles_of(session, tenant, user.id)
    permissions = sorted({p for r in roles for p in r.permissions})
    access = await tokens.issue_access_token(
        session,
        user_id=user.id,
        tenant=tenant,
        roles=[r.name for r in roles],
        permissions=permissions,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    refresh, refresh_hash = tokens.new_refresh_secret(tenant)
    session.add(
        RefreshToken(
            tenant_id=tenant,
            family_id=family_id,
            user_id=user.id,
            token_hash=refresh_hash,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    await session.flush()
    return AuthResult(
        access.token,
        refresh,
        access.expires_in,
        user,
        [r.name for r in roles],
        permissions,
        access.token_id,
    )


async def _revoke_family(db: Database, tenant: TenantId, family_id: uuid.UUID) -> None:
    async with db.transaction(tenant) as session:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )


async def refresh(
    session: AsyncSession, db: Database, settings: Settings, *, refresh_token: str
) -> AuthResult:
    """Rotate: the presented token stops working. Presenting an already-rotated token
    means it leaked, so its whole family is revoked (RFC 6819 5.2.2.3)."""
    parsed = tokens.parse_refresh_token(refresh_token)
    if parsed is None:
        raise invalid_refresh_token()
    tenant, token_hash = parsed
    await bind_tenant(session, tenant)
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if row is None or row.revoked_at is not None:
        raise invalid_refresh_token()
    if row.rotated_at is not None:
        await _revoke_family(db, tenant, row.family_id)
        raise invalid_refresh_token()
    claimed = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == row.id,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > func.now(),
        )
        .values(rotated_at=func.now())
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        if row.expires_at > dt.datetime.now(dt.UTC):
            # Lost a race against another rotation of the same token: reuse.
            await _revoke_family(db, tenant, row.family_id)
        raise invalid_refresh_token()
    user = await session.scalar(select(User).where(User.id == row.user_id, User.active.is_(True)))
    if user is None:
        raise invalid_refresh_token()
    return await _issue(session, settings, tenant, user, family_id=row.family_id)


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    parsed = tokens.parse_refresh_token(refresh_token)
    if parsed is None:
        raise invalid_refresh_token()
    tenant, token_hash = parsed
    await bind_tenant(session, tenant)
    family = await session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
    )
    if family is None:
        raise invalid_refresh_token()
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
