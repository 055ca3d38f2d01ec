"""Roles: the permission vocabulary, the built-in roles every tenant starts with, and the
tenant's own roles (built-in ones are frozen)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.identity.models import Role, User, UserRole
from subgraphs.identity.sessions import revoke_user_tokens

PERMISSIONS: dict[str, str] = {
    "identity:read": "see other users' email, roles, permissions and state; list users, roles",
    "identity:admin": "create, change and deactivate users; roles; invitations; lock-outs",
    "crm:read": "customers, contacts, leads, deals, activities",
    "crm:write": "create and change them",
    "stock:read": "products, warehouses, levels, moves",
    "stock:write": "products, warehouses, transfers, adjustments, reorder rules",
    "sales:read": "sales orders, invoices, payments, tax and exchange rates",
    "sales:write": "quotations and orders: create, change, send, confirm, cancel, invoice, return",
    "sales:deliver": "ship a sales order's goods (deliverSalesOrder)",
    "sales:override_credit": "confirm an order over the customer's credit limit",
    "finance:write": "tax rates and exchange rates",
    "accounting:write": "register payments against invoices",
    "purchases:read": "suppliers and purchase orders",
    "purchases:write": "create and change them, receive, bill",
    "purchases:approve": "approve or reject purchase orders above the threshold",
    "production:read": "bills of materials, production and work orders",
    "production:write": "create and change them, run production",
    "notifications:read": "one's own notifications",
    "notifications:manage": "notification rules and templates",
}
"""Every permission a role may grant, with what it allows (the README's role table)."""

ROLE_NAME_LIMIT = 63

_READS = [p for p in PERMISSIONS if p.endswith(":read")]

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": ("Everything, including users and roles", list(PERMISSIONS)),
    "manager": (
        "Runs the business: changes every business domain, approves purchases",
        [
            *_READS,
            "crm:write",
            "stock:write",
            "sales:write",
            "sales:deliver",
            "sales:override_credit",
            "purchases:write",
            "purchases:approve",
            "production:write",
            "notifications:manage",
        ],
    ),
    "sales": (
        "Customers, deals, quotations and sales orders",
        ["crm:read", "crm:write", "sales:read", "sales:write", "stock:read", "notifications:read"],
    ),
    "warehouse": (
        "Stock, moves, and shipping sales orders",
        [
            "stock:read",
            "stock:write",
            "sales:read",
            "sales:deliver",
            "purchases:read",
            "production:read",
            "notifications:read",
        ],
    ),
    "purchasing": (
        "Suppliers and purchase orders",
        ["purchases:read", "purchases:write", "stock:read", "notifications:read"],
    ),
    "production": (
        "Bills of materials and production orders",
        ["production:read", "production:write", "stock:read", "notifications:read"],
    ),
    "accountant": (
        "Invoices and payments, tax and exchange rates",
        [
            "crm:read",
            "sales:read",
            "finance:write",
            "accounting:write",
            "purchases:read",
            "notifications:read",
        ],
    ),
    "viewer": ("Reads everything, changes nothing", _READS),
}
BUILTIN_ROLES = {
    name: (what, sorted(set(grants))) for name, (what, grants) in BUILTIN_ROLES.items()
}
"""Who may see colleagues' details (`identity:read`): admin, manager and viewer. Every
other role sees a colleague's id and name only (see `User` in the GraphQL layer)."""


def sorted_permissions(permissions: Sequence[str]) -> list[str]:
    return sorted(set(permissions))


def is_permission(value: str) -> bool:
    return value in PERMISSIONS


async def create_builtin_roles(session: AsyncSession, tenant: TenantId) -> dict[str, Role]:
    roles = {
        name: Role(
            tenant_id=tenant,
            name=name,
            description=desc,
            permissions=sorted_permissions(perms),
            builtin=True,
        )
        for name, (desc, perms) in BUILTIN_ROLES.items()
    }
    session.add_all(roles.values())
    await session.flush()
    return roles


def _check_permissions(checks: Checks, permissions: Sequence[str]) -> list[str]:
    bad = [p for p in permissions if not is_permission(p)]
    if bad:
        checks.add(
            "permissions", Code.UNKNOWN_PERMISSION, f"Unknown permission(s): {', '.join(bad)}"
        )
    return sorted(set(permissions))


async def _name_taken(
    session: AsyncSession, tenant: TenantId, name: str, *, except_id: uuid.UUID | None = None
) -> bool:
    stmt = select(Role.id).where(Role.tenant_id == tenant, Role.name == name)
    if except_id is not None:
        stmt = stmt.where(Role.id != except_id)
    return (await session.scalar(stmt)) is not None


async def create_role(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str,
    description: str = "",
    permissions: Sequence[str],
) -> Role:
    checks = Checks()
    name = checks.text("name", name, limit=ROLE_NAME_LIMIT)
    perms = _check_permissions(checks, permissions)
    if name and await _name_taken(session, tenant, name):
        checks.add("name", Code.DUPLICATE, "A role with this name exists")
    checks.raise_any()
    role = Role(tenant_id=tenant, name=name, description=description, permissions=perms)
    session.add(role)
    await session.flush()
    await audit.record(
        session,
        tenant,
        action=audit.Action.ROLE_CREATED,
        target_type="Role",
        target_id=role.id,
        after={"name": name, "permissions": perms},
    )
    return role


async def update_role(
    session: AsyncSession,
    tenant: TenantId,
    *,
    role_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
    permissions: Sequence[str] | None = None,
) -> Role:
    role = await session.get(Role, (tenant, role_id))
    if role is None:
        raise not_found("roleId", "role")
    if role.builtin:
        raise InvalidInput.one("roleId", Code.BUILTIN_ROLE, "Built-in roles cannot be changed")
    checks = Checks()
    if name is not None:
        name = checks.text("name", name, limit=ROLE_NAME_LIMIT)
        if name and await _name_taken(session, tenant, name, except_id=role_id):
            checks.add("name", Code.DUPLICATE, "A role with this name exists")
    perms = _check_permissions(checks, permissions) if permissions is not None else None
    checks.raise_any()
    if name is not None:
        role.name = name
    if description is not None:
        role.description = description
    if perms is not None and perms != sorted(role.permissions):
        await audit.record(
            session,
            tenant,
            action=audit.Action.ROLE_PERMISSIONS_CHANGED,
            target_type="Role",
            target_id=role.id,
            before={"permissions": sorted(role.permissions)},
            after={"permissions": perms},
        )
        role.permissions = perms
        # Its holders' tokens carry the old permissions: they must re-issue.
        holders = await session.scalars(
            select(User)
            .join(UserRole, (UserRole.tenant_id == User.tenant_id) & (UserRole.user_id == User.id))
            .where(UserRole.tenant_id == tenant, UserRole.role_id == role_id)
        )
        for holder in holders.all():
            await revoke_user_tokens(session, tenant, holder)
    await session.flush()
    return role
