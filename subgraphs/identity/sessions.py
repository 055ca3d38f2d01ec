"""Sessions: login with throttling, refresh-token rotation with reuse detection, logout.

Login and refresh have side effects that must outlive a failed attempt (the throttle
count, revoking a token family on reuse); those run in their own short transactions on
`db`, never in the caller's unit of work, which rolls back on failure.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, metrics, revocation
from shared.auth import Principal
from shared.codes import Code
from shared.db import Database, TenantId, bind_tenant
from shared.errors import InvalidInput
from shared.internal_auth import UNKNOWN
from shared.settings import Settings
from subgraphs.identity import lockout, tokens
from subgraphs.identity.credentials import DUMMY_HASH, verify_password
from subgraphs.identity.models import RefreshToken, Tenant, User
from subgraphs.identity.reads import mfa_required, roles_of, totp_enabled


@dataclass(frozen=True, slots=True)
class AuthResult:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User
    roles: list[str]
    permissions: list[str]
    token_id: str
    session_id: uuid.UUID | None = None
    mfa_enrolment_required: bool = False

    def principal(self) -> Principal:
        """Who the caller is from now on, so the payload resolves as the new user."""
        return Principal(
            user_id=self.user.id,
            tenant_id=TenantId(self.user.tenant_id),
            roles=frozenset(self.roles),
            permissions=frozenset(self.permissions),
            token_id=self.token_id,
            session_id=self.session_id,
            version=self.user.token_version,
        )


def invalid_credentials() -> InvalidInput:
    return InvalidInput.one(None, Code.INVALID_CREDENTIALS, "Unknown tenant, email or password")


def invalid_refresh_token() -> InvalidInput:
    return InvalidInput.one(
        "refreshToken", Code.INVALID_TOKEN, "The refresh token is invalid or expired"
    )


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
) -> AuthResult:
    """A one-step login. A user with TOTP is refused here (MFA_REQUIRED): their login
    goes through `mfa.login`, which answers a challenge instead."""
    tenant, user = await authenticate(
        session, db, tenant_slug=tenant_slug, email=email, password=password, source=source
    )
    if await totp_enabled(session, user.id):
        raise InvalidInput.one(None, Code.MFA_REQUIRED, "This login needs a second factor")
    return await start_session(session, settings, tenant, user)


async def authenticate(
    session: AsyncSession,
    db: Database,
    *,
    tenant_slug: str,
    email: str,
    password: str,
    source: str = UNKNOWN,
) -> tuple[TenantId, User]:
    """The password step. Same error, same cost, for an unknown tenant, an unknown email
    and a wrong password. `source` is the client's address, as the router vouched for it
    (see `lockout`)."""
    attempt = lockout.Attempt(tenant_slug, email, source)
    await lockout.check(session, attempt)
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
        tenant = TenantId(tenant_row.id) if tenant_row is not None else None
        await lockout.failed(db, attempt, tenant=tenant, email_known=user is not None)
        metrics.LOGINS.labels("failure").inc()  # an attempt, counted whatever commits
        await audit.record_detached(
            db,
            tenant,
            action=audit.Action.LOGIN_FAILED,
            target_type="User",
            target_id=user.id if user else None,
            after={"email": email.strip().lower()} if tenant else None,
            actor_id=None,
        )
        raise invalid_credentials()
    await lockout.succeeded(session, attempt)
    metrics.count(session, metrics.LOGINS, "success")
    await audit.record(
        session,
        TenantId(tenant_row.id),
        action=audit.Action.LOGIN_SUCCEEDED,
        target_type="User",
        target_id=user.id,
        actor_id=user.id,
    )
    return TenantId(tenant_row.id), user


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
    # The tenant requires MFA and the user has none yet: the tokens grant no role and no
    # permission, so they serve only to enrol (and `me`); the next login has them back.
    enrol_only = await mfa_required(session, tenant) and not await totp_enabled(session, user.id)
    if enrol_only:
        roles, permissions = [], []
    access = await tokens.issue_access_token(
        session,
        user_id=user.id,
        tenant=tenant,
        roles=[r.name for r in roles],
        permissions=permissions,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
        session_id=family_id,
        version=user.token_version,
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
        family_id,
        mfa_enrolment_required=enrol_only,
    )


async def revoke_user_tokens(
    session: AsyncSession, tenant: TenantId, user: User, *, refresh_tokens: bool = False
) -> None:
    """The user's access tokens issued so far stop verifying within seconds (their
    version is raised); with `refresh_tokens`, their logins end too."""
    user.token_version += 1
    await session.flush()
    await revocation.revoke_subject(session, tenant, user.id, min_version=user.token_version)
    if refresh_tokens:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=func.now())
        )


async def _end_family(session: AsyncSession, tenant: TenantId, family_id: uuid.UUID) -> None:
    """The login's refresh tokens and its access tokens stop working."""
    user_id = await session.scalar(
        select(RefreshToken.user_id).where(RefreshToken.family_id == family_id).limit(1)
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await revocation.revoke_session(session, tenant, family_id, subject_id=user_id)


async def _revoke_family(db: Database, tenant: TenantId, family_id: uuid.UUID) -> None:
    async with db.transaction(tenant) as session:
        await _end_family(session, tenant, family_id)


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
    metrics.count(session, metrics.TOKEN_REFRESHES)
    return await _issue(session, settings, tenant, user, family_id=row.family_id)


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    """Ends the login: its refresh tokens at once, its access tokens within seconds."""
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
    await _end_family(session, tenant, family)
