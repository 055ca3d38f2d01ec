from __future__ import annotations

from sqlalchemy import func, select

from shared.context import Runtime
from subgraphs.identity.models import Tenant


async def tenant_slugs_like(runtime: Runtime, base: str) -> list[str]:
    async with runtime.db.transaction(None, readonly=True) as session:
        rows = await session.scalars(
            select(Tenant.slug).where(Tenant.slug.like(f"{base}%")).order_by(Tenant.slug)
        )
        return list(rows)


async def global_counts(runtime: Runtime) -> int:
    async with runtime.db.transaction(None, readonly=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Tenant)) or 0)
