"""`nexo seed --demo`: the `acme` tenant with one user per built-in role.

Deterministic and idempotent: a second run finds the tenant and changes nothing. Later
domains add their demo data through `DOMAIN_SEEDERS`, each in one transaction and in bulk
(about 1,900 statements for all of it; `bench/seed.py` prints them per domain).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import Runtime
from shared.db import TenantId, bind_tenant
from subgraphs.crm.seed import seed_demo as seed_crm
from subgraphs.identity import api as identity
from subgraphs.identity.api import BUILTIN_ROLES, Tenant
from subgraphs.notifications.seed import seed_demo as seed_notifications
from subgraphs.production.seed import seed_demo as seed_production
from subgraphs.purchases.seed import seed_demo as seed_purchases
from subgraphs.sales.seed import seed_demo as seed_sales
from subgraphs.stock.seed import post_history
from subgraphs.stock.seed import seed_demo as seed_stock

DEMO_SLUG = "acme"
DEMO_DOMAIN = "acme.example"


@dataclass(frozen=True, slots=True)
class DemoUser:
    role: str
    email: str
    password: str


DEMO_USERS = [
    DemoUser(role, f"{role}@{DEMO_DOMAIN}", f"demo-{role}-pass") for role in BUILTIN_ROLES
]

DomainSeeder = Callable[[AsyncSession, TenantId], Awaitable[None]]
DOMAIN_SEEDERS: list[tuple[str, DomainSeeder]] = [
    ("crm", seed_crm),
    ("stock", seed_stock),
    # Sales' and purchases' receipts and deliveries: stock's bulk path for the demo's past.
    ("sales", partial(seed_sales, history=post_history)),
    ("production", seed_production),
    ("purchases", partial(seed_purchases, history=post_history)),
    ("notifications", seed_notifications),
]
"""(name, seeder) in dependency order; each must itself be idempotent."""


async def seed_demo(
    runtime: Runtime, report: Callable[[str], None] = print, *, slug: str = DEMO_SLUG
) -> TenantId:
    """The demo tenant `slug` (another slug gives another copy of the same demo, as tests
    and benchmarks use it), created once and then seeded domain by domain."""
    async with runtime.db.transaction(None) as session:
        existing = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        if existing is None:
            admin = DEMO_USERS[0]
            result = await identity.sign_up(
                session,
                runtime.settings,
                tenant_name="ACME Manufacturing" if slug == DEMO_SLUG else f"ACME ({slug})",
                email=admin.email,
                password=admin.password,
                name="Ada Admin",
                slug=slug,
            )
            tenant = TenantId(result.user.tenant_id)
            for user in DEMO_USERS[1:]:
                await identity.create_user(
                    session,
                    tenant,
                    email=user.email,
                    name=f"{user.role.title()} Demo",
                    password=user.password,
                    roles=[user.role],
                )
            report(f"created tenant {slug} with {len(DEMO_USERS)} users")
        else:
            tenant = TenantId(existing)
            report(f"tenant {slug} exists")
    for name, seeder in DOMAIN_SEEDERS:
        async with runtime.db.transaction(None) as session:
            await bind_tenant(session, tenant)
            await seeder(session, tenant)
        report(f"seeded {name}")
    return tenant
