"""Identity's queries: tenants, users and their roles, and the batch look-ups the
dataloaders (and other domains, through `api`) use. Never writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.batch import by_id
from shared.db import TenantId
from shared.pagination import Page, SortKey, paginate
from subgraphs.identity.models import MfaPolicy, MfaTotp, Role, Tenant, User, UserRole

# --- tenants ------------------------------------------------------------------------


async def get_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def tenants_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Tenant]:
    # Tenants are global rows; a principal may only ever see its own through the graph.
    wanted = [i for i in ids if i == tenant]
    if not wanted:
        return {}
    rows = await session.scalars(select(Tenant).where(Tenant.id.in_(wanted)))
    return {t.id: t for t in rows}


# --- users --------------------------------------------------------------------------


async def user(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> User | None:
    """The tenant's user with this id, active or not; None for an unknown id."""
    return await session.get(User, (tenant, user_id))


async def users_by_id(
    session: AsyncSession, tenant: TenantId, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, User]:
    return await by_id(session, User, tenant, ids)


@dataclass(frozen=True, slots=True)
class UserFilter:
    search: str | None = None
    active: bool | None = None
    role: str | None = None


def _users_query(tenant: TenantId, f: UserFilter) -> Select[Any]:
    stmt = select(User).where(User.tenant_id == tenant)
    if f.search:
        pattern = f"%{f.search.strip()}%"
        stmt = stmt.where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    if f.active is not None:
        stmt = stmt.where(User.active.is_(f.active))
    if f.role:
        stmt = stmt.where(
            select(literal(1))
            .select_from(UserRole)
            .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
            .where(
                UserRole.tenant_id == User.tenant_id,
                UserRole.user_id == User.id,
                Role.name == f.role,
            )
            .exists()
        )
    return stmt


async def list_users(
    session: AsyncSession,
    tenant: TenantId,
    *,
    filter: UserFilter,
    first: int | None,
    after: str | None,
) -> Page[User]:
    return await paginate(
        session,
        _users_query(tenant, filter),
        keys=[SortKey(User.name), SortKey(User.id)],
        key_of=lambda u: (u.name, u.id),
        first=first,
        after=after,
    )


# --- roles --------------------------------------------------------------------------


async def list_roles(session: AsyncSession, tenant: TenantId) -> list[Role]:
    rows = await session.scalars(select(Role).where(Role.tenant_id == tenant).order_by(Role.name))
    return list(rows.all())


async def roles_by_user(
    session: AsyncSession, tenant: TenantId, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Role]]:
    """Each user's roles by name; a user without roles is absent."""
    rows = await session.execute(
        select(UserRole.user_id, Role)
        .join(Role, (Role.tenant_id == UserRole.tenant_id) & (Role.id == UserRole.role_id))
        .where(UserRole.tenant_id == tenant, UserRole.user_id.in_(user_ids))
        .order_by(Role.name)
    )
    found: dict[uuid.UUID, list[Role]] = {}
    for user_id, role in rows:
        found.setdefault(user_id, []).append(role)
    return found


async def roles_of(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> list[Role]:
    return (await roles_by_user(session, tenant, [user_id])).get(user_id, [])


async def totp_enabled(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the user signs in with a confirmed TOTP second factor."""
    found = await session.scalar(
        select(MfaTotp.user_id).where(MfaTotp.user_id == user_id, MfaTotp.confirmed_at.is_not(None))
    )
    return found is not None


async def mfa_required(session: AsyncSession, tenant: TenantId) -> bool:
    return bool(
        await session.scalar(select(MfaPolicy.required).where(MfaPolicy.tenant_id == tenant))
    )
