"""The moving-average unit cost each product carries: receipts (and production, returns)
average in at their unit cost; issues never change it. Only valued stock (internal
locations but SCRAP: scrapped goods are written off) carries the average."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import TenantId
from subgraphs.stock.models import VALUED_KINDS, ZERO, Location, Product, StockLevel, q4

Holding = tuple[Decimal, Decimal]
"""(quantity on hand over all valued locations, average unit cost)"""

Arrival = tuple[uuid.UUID, Decimal, Decimal]
"""(product, quantity arriving at an internal location, its unit cost)"""


async def lock_holdings(
    session: AsyncSession, tenant: TenantId, product_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Holding]:
    """Each product's holding, with the product row locked so concurrent receipts average
    one after the other."""
    rows = await session.execute(
        select(Product.id, Product.cost)
        .where(Product.tenant_id == tenant, Product.id.in_(product_ids))
        .order_by(Product.id)
        .with_for_update()
    )
    cost = {r.id: r.cost for r in rows.all()}
    sums = await session.execute(
        select(StockLevel.product_id, func.sum(StockLevel.on_hand))
        .join(
            Location,
            and_(Location.tenant_id == StockLevel.tenant_id, Location.id == StockLevel.location_id),
        )
        .where(
            StockLevel.tenant_id == tenant,
            StockLevel.product_id.in_(product_ids),
            Location.kind.in_(VALUED_KINDS),
        )
        .group_by(StockLevel.product_id)
    )
    totals: dict[uuid.UUID, Decimal] = dict(sums.all())
    return {p: (totals.get(p) or ZERO, c) for p, c in cost.items()}


async def current_costs(
    session: AsyncSession, tenant: TenantId, product_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Each product's average unit cost, unlocked (what an issue is valued at)."""
    rows = await session.execute(
        select(Product.id, Product.cost).where(
            Product.tenant_id == tenant, Product.id.in_(product_ids)
        )
    )
    return {r.id: r.cost for r in rows.all()}


def moving_average(
    holdings: dict[uuid.UUID, Holding], arrivals: Iterable[Arrival]
) -> dict[uuid.UUID, Decimal]:
    """(Q x C + q1 x c1 + ...) / (Q + q1 + ...), exact in Decimal, rounded once."""
    arriving = list(arrivals)
    result: dict[uuid.UUID, Decimal] = {}
    for product_id, (quantity, cost) in holdings.items():
        total_qty, total_value = quantity, quantity * cost
        for p, q, c in arriving:
            if p == product_id:
                total_qty += q
                total_value += q * c
        if total_qty > 0:
            result[product_id] = q4(total_value / total_qty)
    return result


async def set_costs(
    session: AsyncSession, tenant: TenantId, costs: dict[uuid.UUID, Decimal]
) -> None:
    if costs:
        await session.execute(
            update(Product),
            [{"tenant_id": tenant, "id": p, "cost": c} for p, c in costs.items()],
        )
