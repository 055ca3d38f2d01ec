"""The stock engine: no oversell under concurrency, all-or-nothing, an immutable ledger,
exact moving-average cost, low-stock alerts, and levels that agree with the ledger."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.context import Runtime
from shared.db import Database, TenantId
from shared.errors import InvalidInput
from shared.outbox import OutboxEvent
from subgraphs.stock import api as stock
from subgraphs.stock.models import LowStockAlert, Product, ProductType, StockLevel, StockMove
from tests.conftest import MigratedDatabase, TenantHandle
from tests.subgraphs.stock.conftest import Site, make_site, new_product, receive

D = Decimal


async def level(
    runtime: Runtime, tenant: TenantId, product: uuid.UUID, location: uuid.UUID
) -> tuple[Decimal, Decimal]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        row = (
            await session.execute(
                select(StockLevel.on_hand, StockLevel.reserved).where(
                    StockLevel.product_id == product, StockLevel.location_id == location
                )
            )
        ).one_or_none()
    return (row[0], row[1]) if row else (D(0), D(0))


async def test_fifty_concurrent_reservations_never_oversell(
    runtime: Runtime, test_db: MigratedDatabase, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10")
    db = Database(test_db.app, pool_size=50, max_overflow=0)
    try:

        async def one(i: int) -> bool:
            try:
                async with db.transaction(site.tenant) as session:
                    await stock.reserve(
                        session,
                        site.tenant,
                        demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
                        lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(1))],
                    )
                return True
            except stock.InsufficientStock:
                return False

        results = await asyncio.gather(*(one(i) for i in range(50)))
    finally:
        await db.dispose()
    assert results.count(True) == 10
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D(10), D(10))
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        assert await stock.verify_levels(session, site.tenant) == []


async def test_multi_line_demands_in_opposite_orders_neither_deadlock_nor_oversell(
    runtime: Runtime, test_db: MigratedDatabase, site: Site
) -> None:
    other = await new_product(runtime, site.tenant)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10")
    await receive(runtime, site.tenant, other, site.stock_id, "10")
    db = Database(test_db.app, pool_size=50, max_overflow=0)
    short: set[uuid.UUID] = set()
    try:

        async def one(i: int) -> bool:
            a = stock.DemandLine("a", site.product_id, site.stock_id, D(1))
            b = stock.DemandLine("b", other, site.stock_id, D(1))
            try:
                async with db.transaction(site.tenant) as session:
                    await stock.reserve(
                        session,
                        site.tenant,
                        demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
                        lines=[a, b] if i % 2 else [b, a],
                    )
                return True
            except stock.InsufficientStock as exc:
                short.update(s.product_id for s in exc.shortfalls)
                return False

        results = await asyncio.gather(*(one(i) for i in range(50)))
    finally:
        await db.dispose()
    assert results.count(True) == 10
    assert short <= {site.product_id, other}
    for product in (site.product_id, other):
        assert await level(runtime, site.tenant, product, site.stock_id) == (D(10), D(10))


async def test_reserve_is_all_or_nothing_and_names_the_shortfall(
    runtime: Runtime, site: Site
) -> None:
    other = await new_product(runtime, site.tenant)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    await receive(runtime, site.tenant, other, site.stock_id, "2")
    demand = stock.DocumentRef("SalesOrder", uuid.uuid4())
    with pytest.raises(stock.InsufficientStock) as caught:
        async with runtime.db.transaction(site.tenant) as session:
            await stock.reserve(
                session,
                site.tenant,
                demand=demand,
                lines=[
                    stock.DemandLine("1", site.product_id, site.stock_id, D(4)),
                    stock.DemandLine("2", other, site.stock_id, D(3)),
                ],
            )
    [short] = caught.value.shortfalls
    assert (short.product_id, short.requested, short.available, short.missing) == (
        other,
        D(3),
        D(2),
        D(1),
    )
    assert caught.value.problems[0].field == "lines.1.quantity"
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D(5), D(0))


async def test_deliver_consumes_the_reservation_partially_and_release_frees_the_rest(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10")
    demand = stock.DocumentRef("SalesOrder", uuid.uuid4())
    line = stock.DemandLine("1", site.product_id, site.stock_id, D(6))
    async with runtime.db.transaction(site.tenant) as session:
        await stock.reserve(session, site.tenant, demand=demand, lines=[line])
        moves = await stock.deliver(
            session,
            site.tenant,
            demand=demand,
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D("2.5"))],
        )
    assert [(m.quantity, m.state, m.source_id) for m in moves] == [(D("2.5"), "DONE", demand.id)]
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D("7.5"), D("3.5"))
    async with runtime.db.transaction(site.tenant) as session:
        assert await stock.release(session, site.tenant, demand=demand) == D("3.5")
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D("7.5"), D(0))
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        assert await stock.verify_levels(session, site.tenant) == []


async def test_a_done_move_cannot_be_changed_even_by_the_owner(
    runtime: Runtime, owner_engine: AsyncEngine, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "3")
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        move_id = await session.scalar(
            select(StockMove.id).where(StockMove.product_id == site.product_id)
        )
    for statement in (
        "update stock.stock_move set quantity = 300 where id = :id",
        "update stock.stock_move set state = 'CANCELLED' where id = :id",
        "delete from stock.stock_move where id = :id",
    ):
        with pytest.raises(DBAPIError, match="is done and cannot be changed"):
            async with runtime.db.transaction(site.tenant) as session:
                await session.execute(text(statement), {"id": move_id})
        with pytest.raises(DBAPIError, match="is done and cannot be changed"):
            async with owner_engine.begin() as conn:
                await conn.execute(text(statement), {"id": move_id})
    async with owner_engine.connect() as conn:
        assert await conn.scalar(
            text("select quantity from stock.stock_move where id = :id"), {"id": move_id}
        ) == D(3)


async def test_moving_average_cost_is_exact(runtime: Runtime, site: Site) -> None:
    async def cost() -> Decimal:
        async with runtime.db.transaction(site.tenant, readonly=True) as session:
            value = await session.scalar(select(Product.cost).where(Product.id == site.product_id))
        assert value is not None
        return value

    await receive(runtime, site.tenant, site.product_id, site.stock_id, "10", "5")
    assert await cost() == D("5.0000")
    await receive(runtime, site.tenant, site.product_id, site.input_id, "30", "7")
    assert await cost() == D("6.5000")  # (10 x 5 + 30 x 7) / 40
    async with runtime.db.transaction(site.tenant) as session:
        await stock.deliver(
            session,
            site.tenant,
            demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
            lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(10))],
        )
    assert await cost() == D("6.5000")  # issues never change the average
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "3", "1.1")
    # (30 x 6.5 + 3 x 1.1) / 33 = 198.3 / 33 = 6.00909090... -> 6.0091
    assert await cost() == D("6.0091")


async def test_low_stock_raises_one_alert_and_event_then_resolves(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "20")
    async with runtime.db.transaction(site.tenant) as session:
        rule = await stock.set_reorder_rule(
            session,
            site.tenant,
            product_id=site.product_id,
            warehouse_id=site.warehouse_id,
            min_quantity=D(10),
            max_quantity=D(50),
        )

    async def state() -> tuple[list[str], int]:
        async with runtime.db.transaction(site.tenant, readonly=True) as session:
            statuses = list(
                await session.scalars(
                    select(LowStockAlert.status)
                    .where(LowStockAlert.rule_id == rule.id)
                    .order_by(LowStockAlert.raised_at)
                )
            )
            events = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.type == "stock.low", OutboxEvent.aggregate_id == site.product_id)
            )
        return statuses, int(events or 0)

    assert await state() == ([], 0)
    for qty in ("6", "3"):  # 20 -> 14 (fine) -> 11 -> below 10 happens on the reservation
        async with runtime.db.transaction(site.tenant) as session:
            await stock.reserve(
                session,
                site.tenant,
                demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
                lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(qty))],
            )
    assert await state() == ([], 0)
    demand = stock.DocumentRef("SalesOrder", uuid.uuid4())
    for _ in range(2):  # 11 -> 9 -> 7: below minimum twice, one alert
        async with runtime.db.transaction(site.tenant) as session:
            await stock.reserve(
                session,
                site.tenant,
                demand=demand,
                lines=[stock.DemandLine("1", site.product_id, site.stock_id, D(2))],
            )
    assert await state() == (["OPEN"], 1)
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        [suggestion] = await stock.replenishment_suggestions(session, site.tenant)
    assert (suggestion.available, suggestion.quantity) == (D(7), D(43))
    async with runtime.db.transaction(site.tenant) as session:
        await stock.release(session, site.tenant, demand=demand)  # back to 11
    assert await state() == (["RESOLVED"], 1)
    async with runtime.db.transaction(site.tenant) as session:
        await stock.transfer(
            session,
            site.tenant,
            product_id=site.product_id,
            from_location_id=site.stock_id,
            to_location_id=site.input_id,
            quantity=D(5),
        )
    # INPUT is on hand but not sellable (orders reserve from STOCK): 6 available, below
    # the minimum again.
    assert await state() == (["RESOLVED", "OPEN"], 2)


async def test_bad_input_writes_nothing(runtime: Runtime, site: Site) -> None:
    # Paths are relative to `transfer`'s own arguments; the GraphQL layer roots them.
    service_product = await new_product(runtime, site.tenant, ProductType.SERVICE)
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    cases = [
        (
            {"product_id": site.product_id, "to_location_id": site.input_id, "quantity": D(0)},
            "quantity",
            "MUST_BE_POSITIVE",
        ),
        (
            {"product_id": site.product_id, "to_location_id": site.input_id, "quantity": D(-1)},
            "quantity",
            "MUST_BE_POSITIVE",
        ),
        (
            {"product_id": uuid.uuid4(), "to_location_id": site.input_id, "quantity": D(1)},
            "productId",
            "NOT_FOUND",
        ),
        (
            {"product_id": site.product_id, "to_location_id": uuid.uuid4(), "quantity": D(1)},
            "toLocationId",
            "NOT_FOUND",
        ),
        (
            {"product_id": site.product_id, "to_location_id": site.stock_id, "quantity": D(1)},
            "toLocationId",
            "SAME_LOCATION",
        ),
        (
            {"product_id": service_product, "to_location_id": site.input_id, "quantity": D(1)},
            "productId",
            "NOT_STOCKABLE",
        ),
        (
            {"product_id": site.product_id, "to_location_id": site.input_id, "quantity": D(6)},
            "quantity",
            "INSUFFICIENT_STOCK",
        ),
    ]
    for kwargs, field, code in cases:
        with pytest.raises(InvalidInput) as caught:
            async with runtime.db.transaction(site.tenant) as session:
                await stock.transfer(session, site.tenant, from_location_id=site.stock_id, **kwargs)  # type: ignore[arg-type]
        assert (field, code) in [(p.field, p.code) for p in caught.value.problems], kwargs
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D(5), D(0))
    assert await level(runtime, site.tenant, site.product_id, site.input_id) == (D(0), D(0))
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        moves = await session.scalar(select(func.count()).select_from(StockMove))
    assert moves == 1


async def test_another_tenant_cannot_move_or_see_our_stock(
    runtime: Runtime, site: Site, other_tenant: TenantHandle
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    theirs = await make_site(runtime, other_tenant.id)
    with pytest.raises(InvalidInput) as caught:
        async with runtime.db.transaction(other_tenant.id) as session:
            await stock.transfer(
                session,
                other_tenant.id,
                product_id=site.product_id,
                from_location_id=site.stock_id,
                to_location_id=theirs.stock_id,
                quantity=D(1),
            )
    assert {p.code for p in caught.value.problems} == {"NOT_FOUND"}
    async with runtime.db.transaction(other_tenant.id, readonly=True) as session:
        assert await stock.levels_by_product(session, other_tenant.id, [site.product_id]) == {}
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D(5), D(0))


async def test_verify_levels_reports_a_level_that_drifted_from_the_ledger(
    runtime: Runtime, owner_engine: AsyncEngine, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("update stock.stock_level set on_hand = 4 where product_id = :p"),
            {"p": site.product_id},
        )
    async with runtime.db.transaction(site.tenant, readonly=True) as session:
        [diff] = await stock.verify_levels(session, site.tenant)
    assert (diff.product_id, diff.ledger_on_hand, diff.level_on_hand) == (
        site.product_id,
        D(5),
        D(4),
    )


async def test_services_name_paths_relative_to_their_own_arguments(
    runtime: Runtime, site: Site
) -> None:
    await receive(runtime, site.tenant, site.product_id, site.stock_id, "5")
    unknown = uuid.uuid4()

    async def problems(call: Any) -> list[tuple[str | None, str]]:
        with pytest.raises(InvalidInput) as caught:
            async with runtime.db.transaction(site.tenant) as session:
                await call(session)
        return [(p.field, p.code) for p in caught.value.problems]

    assert await problems(lambda s: stock.stock_location(s, site.tenant, unknown)) == [
        ("warehouseId", "NOT_FOUND")
    ]
    assert await problems(
        lambda s: stock.update_product(s, site.tenant, unknown, stock.ProductFields(name="x"))
    ) == [("id", "NOT_FOUND")]
    assert await problems(
        lambda s: stock.adjust(
            s,
            site.tenant,
            location_id=site.stock_id,
            lines=[stock.CountLine(site.product_id, D("-1")), stock.CountLine(unknown, D(1))],
        )
    ) == [("lines.0.countedQuantity", "NEGATIVE")]
    assert await problems(
        lambda s: stock.deliver(
            s,
            site.tenant,
            demand=stock.DocumentRef("SalesOrder", uuid.uuid4()),
            lines=[
                stock.DemandLine("1", site.product_id, site.stock_id, D(1)),
                stock.DemandLine("2", unknown, unknown, D(1)),
            ],
        )
    ) == [("lines.1.productId", "NOT_FOUND"), ("lines.1.locationId", "NOT_FOUND")]
    assert await problems(
        lambda s: stock.receive(
            s,
            site.tenant,
            source=None,
            lines=[stock.SupplyLine(site.product_id, site.stock_id, D(1), D(-1))],
        )
    ) == [("lines.0.unitCost", "NEGATIVE")]
    assert await problems(
        lambda s: stock.set_reorder_rule(
            s,
            site.tenant,
            product_id=site.product_id,
            warehouse_id=unknown,
            min_quantity=D("0.00001"),
            max_quantity=D(1),
        )
    ) == [("minQuantity", "TOO_PRECISE"), ("warehouseId", "NOT_FOUND")]
    with pytest.raises(stock.InsufficientStock) as short:
        async with runtime.db.transaction(site.tenant) as session:
            await stock.transfer(
                session,
                site.tenant,
                product_id=site.product_id,
                from_location_id=site.stock_id,
                to_location_id=site.input_id,
                quantity=D(6),
            )
    assert [(p.field, p.code) for p in short.value.problems] == [("quantity", "INSUFFICIENT_STOCK")]
    # A caller re-roots them onto its own arguments.
    moved = short.value.under("input", {"quantity": "amount"})
    assert [p.field for p in moved.problems] == ["input.amount"]
    assert await level(runtime, site.tenant, site.product_id, site.stock_id) == (D(5), D(0))
