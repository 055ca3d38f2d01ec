"""Users of a tenant: create, update (email, name, password, roles), deactivate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.identity.credentials import check_email, check_password, hash_password
from subgraphs.identity.models import Role, User, UserRole
from subgraphs.identity.sessions import revoke_user_tokens


async def _user(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> User:
    user = await session.get(User, (tenant, user_id))
    if user is None:
        raise not_found("userId", "user")
    return user


async def resolve_roles(
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
    role_rows = await resolve_roles(session, tenant, roles, checks)
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
    was: dict[str, object] = {
        "email": user.email,
        "name": user.name,
        "roles": await _role_names(session, tenant, user_id),
    }
    checks = Checks()
    if email is not None:
        email = check_email(checks, "email", email)
        if checks.ok and await _email_taken(session, tenant, email, except_id=user_id):
            _duplicate_email(checks)
    if name is not None:
        name = checks.text("name", name)
    if password is not None:
        check_password(checks, "password", password)
    role_rows = await resolve_roles(session, tenant, roles, checks) if roles is not None else None
    checks.raise_any()
    if role_rows is not None:
        held = await session.scalars(
            select(UserRole.role_id).where(
                UserRole.tenant_id == tenant, UserRole.user_id == user_id
            )
        )
        roles_changed = set(held) != {r.id for r in role_rows}
    else:
        roles_changed = False
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
    if roles_changed or password is not None:
        # Tokens carry the roles' permissions: those issued before must not outlive them.
        await revoke_user_tokens(session, tenant, user)
    await session.flush()
    await _audit_update(
        session, tenant, user, was, role_rows, password_changed=password is not None
    )
    return user


async def _role_names(session: AsyncSession, tenant: TenantId, user_id: uuid.UUID) -> list[str]:
    rows = await session.scalars(
        select(Role.name)
        .join(UserRole, (UserRole.tenant_id == Role.tenant_id) & (UserRole.role_id == Role.id))
        .where(UserRole.tenant_id == tenant, UserRole.user_id == user_id)
    )
    return sorted(rows)


async def _audit_update(
    session: AsyncSession,
    tenant: TenantId,
    user: User,
    was: dict[str, object],
    role_rows: Sequence[Role] | None,
    *,
    password_changed: bool,
) -> None:
    """The audit event of an update: roles changes apart, a new password only as a flag."""
    roles = sorted(r.name for r in role_rows) if role_rows is not None else was["roles"]
    now = {"email": user.email, "name": user.name, "roles": roles}
    before, after = audit.changes(was, now)
    if "roles" in after:
        await audit.record(
            session,
            tenant,
            action=audit.Action.USER_ROLES_CHANGED,
            target_type="User",
            target_id=user.id,
            before={"roles": before.pop("roles")},
            after={"roles": after.pop("roles")},
        )
    if password_changed:
        after["passwordChanged"] = True
    if after:
        await audit.record(
            session,
            tenant,
            action=audit.Action.USER_UPDATED,
            target_type="User",
            target_id=user.id,
            before=before,
            after=after,
        )


async def deactivate_user(
    session: AsyncSession, tenant: TenantId, *, user_id: uuid.UUID, actor: uuid.UUID
) -> User:
    if user_id == actor:
        raise InvalidInput.one(
            "userId", Code.CANNOT_DEACTIVATE_SELF, "You cannot deactivate yourself"
        )
    user = await _user(session, tenant, user_id)
    user.active = False
    # Refresh tokens die now; access tokens within the revocation cache's seconds.
    await revoke_user_tokens(session, tenant, user, refresh_tokens=True)
    await audit.record(
        session,
        tenant,
        action=audit.Action.USER_DEACTIVATED,
        target_type="User",
        target_id=user.id,
        before={"active": True},
        after={"active": False},
        actor_id=actor,
    )
    await session.flush()
    return user
