"""Users of a tenant: create, update (email, name, password, roles), deactivate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.identity.credentials import check_email, check_password, hash_password
from subgraphs.identity.models import RefreshToken, Role, User, UserRole


async def _user(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> User:
    user = await session.get(User, (tenant, user_id))
    if user is None:
        raise not_found("userId", "user")
    return user


async def _resolve_roles(
    session: AsyncSession, tenant: TenantId, names: Sequence[str], checks: Checks
) -> list[Role]:
    wanted = sorted(set(names))
    rows = list(
        (
            await session.scalars(
                select(Role).where(Role.tenant_id == tenant, Role.name.in_(wanted))
            )
        ).all()
    )
    missing = sorted(set(wanted) - {r.name for r in rows})
    if missing:
        checks.add("roles", Code.UNKNOWN_ROLE, f"Unknown role(s): {', '.join(missing)}")
    return rows


async def _email_taken(
    session: AsyncSession, tenant: TenantId, email: str, *, except_id: uuid.UUID | None = None
) -> bool:
    stmt = select(User.id).where(User.tenant_id == tenant, func.lower(User.email) == email.lower())
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return (await session.scalar(stmt)) is not None


def _duplicate_email(checks: Checks) -> None:
    checks.add("email", Code.DUPLICATE, "A user with this email exists")


async def create_user(
    session: AsyncSession,
    tenant: TenantId,
    *,
    email: str,
    name: str,
    password: str,
    roles: Sequence[str],
) -> User:
    checks = Checks()
    email = check_email(checks, "email", email)
    email_ok = checks.ok
    name = checks.text("name", name)
    check_password(checks, "password", password)
    role_rows = await _resolve_roles(session, tenant, roles, checks)
    if email_ok and await _email_taken(session, tenant, email):
        _duplicate_email(checks)
    checks.raise_any()
    user = User(
        tenant_id=tenant, email=email, name=name, password_hash=await hash_password(password)
    )
    session.add(user)
    await session.flush()
    session.add_all(UserRole(tenant_id=tenant, user_id=user.id, role_id=r.id) for r in role_rows)
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    tenant: TenantId,
    *,
    user_id: uuid.UUID,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
    roles: Sequence[str] | None = None,
) -> User:
    user = await _user(session, tenant, user_id)
    checks = Checks()
    if email is not None:
        email = check_email(checks, "email", email)
        if checks.ok and await _email_taken(session, tenant, email, except_id=user_id):
            _duplicate_email(checks)
    if name is not None:
        name = checks.text("name", name)
    if password is not None:
        check_password(checks, "password", password)
    role_rows = await _resolve_roles(session, tenant, roles, checks) if roles is not None else None
    checks.raise_any()
    if email is not None:
        user.email = email
    if name is not None:
        user.name = name
    if password is not None:
        user.password_hash = await hash_password(password)
    if role_rows is not None:
        await session.execute(
            delete(UserRole).where(UserRole.tenant_id == tenant, UserRole.user_id == user_id)
        )
        session.add_all(
            UserRole(tenant_id=tenant, user_id=user_id, role_id=r.id) for r in role_rows
        )
    await session.flush()
    return user


async def deactivate_user(
    session: AsyncSession, tenant: TenantId, *, user_id: uuid.UUID, actor: uuid.UUID
) -> User:
    if user_id == actor:
        raise InvalidInput.one(
            "userId", Code.CANNOT_DEACTIVATE_SELF, "You cannot deactivate yourself"
        )
    user = await _user(session, tenant, user_id)
    user.active = False
    # Access tokens expire on their own within minutes; refresh tokens die now.
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    await session.flush()
    return user
