"""The production demo seed on stock's demo catalogue: every state, five BOMs (two
multi-level, one kit), four work centers, consistent stock, idempotent."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from shared.context import Runtime
from subgraphs.production import seed
from subgraphs.production.models import (
    BillOfMaterials,
    ComponentLine,
    ProductionOrder,
    WorkCenter,
)
from subgraphs.stock import api as stock
from subgraphs.stock.seed import seed_demo as seed_stock
from tests.conftest import TenantHandle


async def test_demo_seed_covers_every_state_on_the_demo_stock(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    async with runtime.db.transaction(tenant.id) as session:
        await seed_stock(session, tenant.id)
    started = time.perf_counter()
    async with runtime.db.transaction(tenant.id) as session:
        await seed.seed_demo(session, tenant.id)
    elapsed = time.perf_counter() - started
    async with runtime.db.transaction(tenant.id) as session:
        await seed.seed_demo(session, tenant.id)  # a second run changes nothing
    async with runtime.db.transaction(tenant.id, readonly=True) as session:
        statuses = Counter((await session.scalars(select(ProductionOrder.status))).all())
        kinds = Counter((await session.scalars(select(BillOfMaterials.kind))).all())
        centers = await session.scalar(select(func.count()).select_from(WorkCenter))
        in_progress = (
            await session.scalars(
                select(ProductionOrder.id).where(ProductionOrder.status == "IN_PROGRESS")
            )
        ).all()
        lines = (
            await session.scalars(
                select(ComponentLine).where(ComponentLine.order_id.in_(in_progress))
            )
        ).all()
        assert lines and all(ln.reserved > 0 for ln in lines)
        differences = await stock.verify_levels(session, tenant.id)
    print(f"production seed: {elapsed:.2f}s, {sum(statuses.values())} orders {dict(statuses)}")
    assert set(statuses) == {"DRAFT", "CONFIRMED", "IN_PROGRESS", "BLOCKED", "DONE", "CANCELLED"}
    assert 18 <= sum(statuses.values()) <= 26
    assert statuses["IN_PROGRESS"] >= 5
    assert kinds == {"NORMAL": 4, "PHANTOM": 1}
    assert centers == 4
    assert differences == []
