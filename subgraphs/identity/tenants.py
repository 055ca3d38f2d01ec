"""Tenants: sign-up creates one with its built-in roles and its first admin, logged in."""

from __future__ import annotations

import re
import unicodedata
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import metrics
from shared.db import TenantId, bind_tenant
from shared.outbox import emit
from shared.settings import Settings
from shared.validation import Checks
from subgraphs.identity.credentials import check_email, check_password, hash_password
from subgraphs.identity.events import IdentityEvent
from subgraphs.identity.models import Tenant, User, UserRole
from subgraphs.identity.roles import create_builtin_roles
from subgraphs.identity.sessions import AuthResult, start_session

_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_CHARS.sub("-", ascii_name.lower()).strip("-")[:50] or "tenant"


async def _unique_slug(session: AsyncSession, name: str) -> str:
    base = slugify(name)
    taken = set(
        (await session.scalars(select(Tenant.slug).where(Tenant.slug.like(f"{base}%")))).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def sign_up(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_name: str,
    email: str,
    password: str,
    name: str,
    slug: str | None = None,
) -> AuthResult:
    """A new tenant with its built-in roles and its first admin, logged in."""
    checks = Checks()
    tenant_name = checks.text("tenantName", tenant_name)
    email = check_email(checks, "email", email)
    check_password(checks, "password", password)
    name = checks.text("name", name)
    checks.raise_any()
    tenant_row = Tenant(
        id=uuid.uuid4(), name=tenant_name, slug=slug or await _unique_slug(session, tenant_name)
    )
    session.add(tenant_row)
    await session.flush()
    tenant = TenantId(tenant_row.id)
    await bind_tenant(session, tenant)
    roles = await create_builtin_roles(session, tenant)
    user = User(
        tenant_id=tenant,
        email=email,
        name=name,
        password_hash=await hash_password(password),
    )
    session.add(user)
    await session.flush()
    session.add(UserRole(tenant_id=tenant, user_id=user.id, role_id=roles["admin"].id))
    await session.flush()
    await emit(
        session,
        tenant,
        type=IdentityEvent.TENANT_CREATED,
        aggregate_type="Tenant",
        aggregate_id=tenant,
        payload={"slug": tenant_row.slug, "name": tenant_name},
    )
    metrics.count(session, metrics.SIGNUPS)
    return await start_session(session, settings, tenant, user)


ADDRESS_KEYS = ("line1", "line2", "postal_code", "city", "region", "country")
"""The parts of an address, as crm keeps a customer's."""


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


async def update_tenant(
    session: AsyncSession,
    tenant: TenantId,
    *,
    name: str | None = None,
    address: dict[str, str | None] | None = None,
    tax_id: str | None = None,
) -> Tenant:
    """Change the caller's own tenant's name, address (replaced whole: a part left out is
    cleared) or tax id; None leaves a field as it is."""
    checks = Checks()
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = checks.text("name", name, limit=200)
    if address is not None:
        cleaned = {}
        for key in ADDRESS_KEYS:
            part = checks.optional(f"address.{_camel(key)}", address.get(key), limit=200)
            if part:
                cleaned[key] = part
        values["address"] = cleaned
    if tax_id is not None:
        values["tax_id"] = checks.optional("taxId", tax_id, limit=50) or ""
    checks.raise_any()
    row = await session.scalar(select(Tenant).where(Tenant.id == tenant).with_for_update())
    assert row is not None, "the caller's tenant exists"
    for key, value in values.items():
        setattr(row, key, value)
    await session.flush()
    return row
