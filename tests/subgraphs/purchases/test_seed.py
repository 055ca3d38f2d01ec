"""The purchases demo: 12 suppliers with price lists and about 80 orders in every state,
received through stock (so the depots' levels and costs come from real receipts)."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from nexo.seed import seed_demo
from shared.context import Runtime


async def test_the_demo_covers_every_state_and_its_receipts_are_in_stock(
    runtime: Runtime, owner_engine: AsyncEngine
) -> None:
    marks: list[tuple[str, float]] = [("start", time.monotonic())]
    tenant = await seed_demo(runtime, report=lambda m: marks.append((m, time.monotonic())))
    took = {m: round(t - marks[i][1], 1) for i, (m, t) in enumerate(marks[1:])}
    async with owner_engine.connect() as conn:

        async def one(sql: str) -> object:
            return await conn.scalar(text(sql), {"t": tenant})

        async def many(sql: str) -> set[object]:
            return set((await conn.execute(text(sql), {"t": tenant})).scalars())

        assert await one("select count(*) from purchases.supplier where tenant_id = :t") == 12
        assert (
            await one(
                "select count(distinct supplier_id) from purchases.supplier_price where tenant_id = :t"
            )
            == 12
        )
        assert await one("select count(*) from purchases.purchase_order where tenant_id = :t") == 80
        assert await many("select status from purchases.purchase_order where tenant_id = :t") == {
            "RFQ",
            "SENT",
            "CONFIRMED",
            "PARTIALLY_RECEIVED",
            "RECEIVED",
            "CANCELLED",
        }
        assert await many(
            "select billing_status from purchases.purchase_order where tenant_id = :t"
        ) == {"NOT_BILLED", "PARTIALLY_BILLED", "BILLED", "PAID"}
        assert await many("select status from purchases.vendor_bill where tenant_id = :t") == {
            "HELD",
            "POSTED",
            "PAID",
        }
        assert "REJECTED" in await many(
            "select approval_status from purchases.purchase_order where tenant_id = :t"
        )
        # Every receipt line is a done stock move from the supplier into a depot.
        received = await one(
            "select coalesce(sum(quantity), 0) from purchases.receipt_line where tenant_id = :t"
        )
        moved = await one(
            "select coalesce(sum(quantity), 0) from stock.stock_move where tenant_id = :t "
            "and source_type = 'PurchaseOrder'"
        )
        assert received == moved
        assert received > 0
        in_main = await one(
            "select count(*) from stock.stock_move m join stock.location l "
            "on l.tenant_id = m.tenant_id and l.id = m.to_location_id "
            "join stock.warehouse w on w.tenant_id = l.tenant_id and w.id = l.warehouse_id "
            "where m.tenant_id = :t and m.source_type = 'PurchaseOrder' and w.code = 'MAIN'"
        )
        assert in_main == 0
        first = await one("select count(*) from purchases.purchase_order where tenant_id = :t")
    again = await seed_demo(runtime, report=lambda _: None)
    assert again == tenant
    async with owner_engine.connect() as conn:
        assert (
            await conn.scalar(
                text("select count(*) from purchases.purchase_order where tenant_id = :t"),
                {"t": tenant},
            )
            == first
        )
    print("seeding took (s):", took)
