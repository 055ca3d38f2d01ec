"""Roles: the permission vocabulary, the built-in roles every tenant starts with, and the
tenant's own roles (built-in ones are frozen)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.codes import Code
from shared.db import TenantId
from shared.errors import InvalidInput, not_found
from shared.validation import Checks
from subgraphs.identity.models import Role

DOMAINS = ("identity", "crm", "stock", "sales", "purchases", "production", "notifications")
LEVELS = ("read", "write", "approve", "manage", "admin")
PERMISSION = re.compile(rf"^({'|'.join(DOMAINS)}):({'|'.join(LEVELS)})$")
ROLE_NAME_LIMIT = 63


def _grant(domains: tuple[str, ...], *levels: str) -> list[str]:
    return [f"{d}:{level}" for d in domains for level in levels]


_BUSINESS = ("crm", "stock", "sales", "purchases", "production", "notifications")

BUILTIN_ROLES: dict[str, tuple[str, list[str]]] = {
    "admin": ("Everything, including users and roles", _grant(DOMAINS, *LEVELS)),
    "manager": (
        "Reads and changes every business domain",
        [
            "identity:read",
            *_grant(_BUSINESS, "read", "write"),
            "purchases:approve",
            "notifications:manage",
        ],
    ),
    "sales": (
        "Customers, deals and sales orders",
        [
            "identity:read",
            *_grant(("crm", "sales"), "read", "write"),
            "stock:read",
            "notifications:read",
        ],
    ),
    "warehouse": (
        "Stock, moves and deliveries",
        [
            "identity:read",
            "stock:read",
            "stock:write",
            "sales:read",
            "purchases:read",
            "production:read",
            "notifications:read",
        ],
    ),
    "purchasing": (
        "Suppliers and purchase orders",
        ["identity:read", "purchases:read", "purchases:write", "stock:read", "notifications:read"],
    ),
    "production": (
        "Bills of materials and production orders",
        [
            "identity:read",
            "production:read",
            "production:write",
            "stock:read",
            "notifications:read",
        ],
    ),
    "viewer": ("Reads everything, changes nothing", _grant(DOMAINS, "read")),
}


def is_permission(value: str) -> bool:
    return PERMISSION.match(value) is not None


async def create_builtin_roles(session: AsyncSession, tenant: TenantId) -> dict[str, Role]:
    roles = {
        name: Role(tenant_id=tenant, name=name, description=desc, permissions=perms, builtin=True)
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
    if perms is not None:
        role.permissions = perms
    await session.flush()
    return role
