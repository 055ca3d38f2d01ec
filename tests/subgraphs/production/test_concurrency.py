"""Concurrent writers: two orders competing for the last components never oversell, and
numbers stay gapless and unique under concurrent creation and rollbacks."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.production import api as production
from subgraphs.stock import api as stock

from .conftest import Plant, levels

D = Decimal


async def test_two_orders_competing_for_the_last_components_never_oversell(
    runtime: Runtime, plant: Plant
) -> None:
    """Steel for 50 frames; two orders of 30 and 25 confirmed at the same moment: one gets
    its components, the other is refused naming the steel, and no more is reserved than
    there is."""
    tenant = plant.id
    async with runtime.db.transaction(tenant) as session:
        first = await production.create_order(
            session,
            tenant,
            product_id=plant["FRAME"],
            quantity=D(30),
            warehouse_id=plant.warehouse_id,
        )
        second = await production.create_order(
            session,
            tenant,
            product_id=plant["FRAME"],
            quantity=D(25),
            warehouse_id=plant.warehouse_id,
        )
    # Bolts for 37 frames: enough for either order, not for both.

    async def confirm(order_id: object) -> str:
        try:
            async with runtime.db.transaction(tenant) as session:
                await production.confirm_order(session, tenant, order_id)  # type: ignore[arg-type]
                await asyncio.sleep(0.05)  # hold the locks while the other one waits
        except InvalidInput as exc:
            return ",".join(sorted({p.code for p in exc.problems}))
        return "CONFIRMED"

    results = await asyncio.gather(confirm(first.id), confirm(second.id))
    assert sorted(results) == ["CONFIRMED", "INSUFFICIENT_STOCK"]
    winner = first if results[0] == "CONFIRMED" else second
    steel_on_hand, steel_reserved = await levels(runtime, tenant, plant["STEEL"])
    bolts_on_hand, bolts_reserved = await levels(runtime, tenant, plant["BOLT"])
    assert (steel_on_hand, steel_reserved) == (D(100), 2 * winner.quantity)
    assert (bolts_on_hand, bolts_reserved) == (D(150), 4 * winner.quantity)
    async with runtime.db.transaction(tenant, readonly=True) as session:
        statuses = {
            o.id: o.status
            for o in (
                await production.orders_by_id(session, tenant, [first.id, second.id])
            ).values()
        }
        assert await stock.verify_levels(session, tenant) == []
    assert sorted(statuses.values()) == ["CONFIRMED", "DRAFT"]


async def test_numbers_are_gapless_under_concurrency_and_rollback(
    runtime: Runtime, plant: Plant
) -> None:
    tenant = plant.id

    async def create(fail: bool) -> str | None:
        try:
            async with runtime.db.transaction(tenant) as session:
                order = await production.create_order(
                    session,
                    tenant,
                    product_id=plant["FRAME"],
                    quantity=D(1),
                    warehouse_id=plant.warehouse_id,
                )
                if fail:
                    raise RuntimeError("rolled back after taking a number")
                return order.number
        except RuntimeError:
            return None

    numbers = await asyncio.gather(*(create(fail=i % 3 == 0) for i in range(12)))
    kept = sorted(n for n in numbers if n is not None)
    assert len(kept) == 8
    assert [int(n[-5:]) for n in kept] == list(range(1, 9))
