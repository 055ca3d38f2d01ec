"""Production rules below GraphQL: work-order sequencing, scrap, unbuild at recorded costs,
cancellation, work-center load."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.production import api as production
from subgraphs.stock import api as stock

from .conftest import Plant, cost, levels, receive

D = Decimal


async def _order(
    runtime: Runtime, plant: Plant, sku: str, quantity: str, **kw: object
) -> uuid.UUID:
    async with runtime.db.transaction(plant.id) as session:
        order = await production.create_order(
            session,
            plant.id,
            product_id=plant[sku],
            quantity=D(quantity),
            warehouse_id=plant.warehouse_id,
            **kw,  # type: ignore[arg-type]
        )
        await production.confirm_order(session, plant.id, order.id, allow_shortage=True)
        return order.id


async def _work_orders(runtime: Runtime, plant: Plant, order_id: uuid.UUID) -> list:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        page = await production_work_orders(session, plant.id, order_id)
        session.expunge_all()
    return page


async def production_work_orders(session, tenant, order_id):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from subgraphs.production.models import WorkOrder

    rows = await session.scalars(
        select(WorkOrder).where(WorkOrder.order_id == order_id).order_by(WorkOrder.sequence)
    )
    return list(rows.all())


async def _refused(runtime: Runtime, plant: Plant, action) -> list[tuple[str | None, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        async with runtime.db.transaction(plant.id) as session:
            await action(session)
    return [(p.field, p.code) for p in refused.value.problems]


async def _finish_all(runtime: Runtime, plant: Plant, order_id: uuid.UUID, minutes: str) -> None:
    for wo in await _work_orders(runtime, plant, order_id):
        async with runtime.db.transaction(plant.id) as session:
            await production.start_work_order(session, plant.id, wo.id)
            await production.finish_work_order(session, plant.id, wo.id, actual_minutes=D(minutes))


async def test_work_orders_run_in_sequence(runtime: Runtime, plant: Plant) -> None:
    order = await _order(runtime, plant, "CART", "1")
    assemble, inspect = await _work_orders(runtime, plant, order)
    assert (assemble.status, inspect.status) == ("READY", "PENDING")
    assert await _refused(
        runtime, plant, lambda s: production.start_work_order(s, plant.id, inspect.id)
    ) == [("id", "INVALID_STATE")]
    assert await _refused(
        runtime, plant, lambda s: production.finish_work_order(s, plant.id, assemble.id)
    ) == [("id", "INVALID_STATE")]
    async with runtime.db.transaction(plant.id) as session:
        started = await production.start_work_order(session, plant.id, assemble.id)
        assert started.started_at is not None
    async with runtime.db.transaction(plant.id) as session:
        finished = await production.finish_work_order(session, plant.id, assemble.id)
    assert finished.actual_minutes is not None and finished.actual_minutes < 1  # since it started
    assert [w.status for w in await _work_orders(runtime, plant, order)] == ["DONE", "READY"]
    assert await _refused(
        runtime, plant, lambda s: production.complete_order(s, plant.id, order)
    ) == [("id", "WORK_ORDERS_OPEN")]


async def test_scrap_consumes_components_and_leaves_no_backorder(
    runtime: Runtime, plant: Plant
) -> None:
    order = await _order(runtime, plant, "FRAME", "4")
    await _finish_all(runtime, plant, order, "60")  # 60 min @ 40/h = 40
    async with runtime.db.transaction(plant.id) as session:
        done = await production.complete_order(
            session, plant.id, order, produced_quantity=D(3), scrap_quantity=D(1)
        )
        # 8 steel @ 2 + 16 bolts @ 0.10 = 17.60; + 40 = 57.60 over 3 good frames.
        assert (done.material_cost, done.unit_cost, done.scrap_quantity) == (
            D("17.6000"),
            D("19.2000"),
            D(1),
        )
        page = await production.list_orders(
            session,
            plant.id,
            filter=production.OrderFilter(product_id=plant["FRAME"]),
            first=5,
            after=None,
        )
        assert len(page.rows) == 1
    assert await levels(runtime, plant.id, plant["FRAME"]) == (D(4), D(0))
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(92), D(0))


async def test_unbuild_returns_components_at_their_recorded_costs(
    runtime: Runtime, plant: Plant
) -> None:
    order = await _order(runtime, plant, "FRAME", "5")
    await _finish_all(runtime, plant, order, "0")
    async with runtime.db.transaction(plant.id) as session:
        done = await production.complete_order(session, plant.id, order)
        assert done.unit_cost == D("4.4000")  # 2 x 2 + 4 x 0.10
    await receive(runtime, plant, [("STEEL", "90", "5")])  # steel: (90 x 2 + 90 x 5) / 180
    assert await cost(runtime, plant.id, plant["STEEL"]) == D("3.5000")
    async with runtime.db.transaction(plant.id) as session:
        unbuilt = await production.unbuild_order(session, plant.id, order, quantity=D(2))
        assert unbuilt.unbuilt_quantity == D(2)
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        moves = (
            await stock.list_moves(
                session,
                plant.id,
                filter=stock.MoveFilter(source_type="ProductionUnbuild", source_id=order),
                first=10,
                after=None,
            )
        ).rows
        names = {v: k for k, v in plant.products.items()}
        got = sorted((names[m.product_id], m.quantity, m.unit_cost) for m in moves)
    assert got == [
        ("BOLT", D(8), D("0.1000")),
        ("FRAME", D(2), D("7.0000")),  # goods leave at their average: (20 + 5 x 4.40) / 6
        ("STEEL", D(4), D("2.0000")),  # the cost recorded at consumption, not today's 3.50
    ]
    assert await levels(runtime, plant.id, plant["FRAME"]) == (D(4), D(0))  # 1 + 5 - 2
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(184), D(0))  # 180 + 4
    assert await cost(runtime, plant.id, plant["STEEL"]) == D("3.4674")  # (630 + 8) / 184
    assert await _refused(
        runtime, plant, lambda s: production.unbuild_order(s, plant.id, order, quantity=D(4))
    ) == [("quantity", "EXCEEDS_PRODUCED")]
    async with runtime.db.transaction(plant.id) as session:
        rest = await production.unbuild_order(session, plant.id, order)
        assert rest.unbuilt_quantity == D(5)
    assert await _refused(
        runtime, plant, lambda s: production.unbuild_order(s, plant.id, order)
    ) == [("id", "ALREADY_DONE")]


async def test_unbuild_needs_the_goods_in_stock(runtime: Runtime, plant: Plant) -> None:
    order = await _order(runtime, plant, "FRAME", "1")
    await _finish_all(runtime, plant, order, "0")
    async with runtime.db.transaction(plant.id) as session:
        await production.complete_order(session, plant.id, order)
    cart = await _order(runtime, plant, "CHASSIS", "2")  # reserves both frames
    assert cart
    assert await _refused(
        runtime, plant, lambda s: production.unbuild_order(s, plant.id, order)
    ) == [("quantity", "INSUFFICIENT_STOCK")]


async def test_cancel_releases_an_order_in_progress_but_not_a_done_one(
    runtime: Runtime, plant: Plant
) -> None:
    order = await _order(runtime, plant, "FRAME", "3")
    [weld] = await _work_orders(runtime, plant, order)
    async with runtime.db.transaction(plant.id) as session:
        await production.start_work_order(session, plant.id, weld.id)
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(100), D(6))
    async with runtime.db.transaction(plant.id) as session:
        cancelled = await production.cancel_order(session, plant.id, order)
        assert cancelled.status == "CANCELLED"
    assert await levels(runtime, plant.id, plant["STEEL"]) == (D(100), D(0))
    assert await _refused(
        runtime, plant, lambda s: production.cancel_order(s, plant.id, order)
    ) == [("id", "INVALID_STATE")]
    assert await _refused(
        runtime, plant, lambda s: production.confirm_order(s, plant.id, order)
    ) == [("id", "INVALID_STATE")]


async def test_work_center_load_sets_planned_minutes_against_capacity(
    runtime: Runtime, plant: Plant
) -> None:
    monday = dt.date(2030, 1, 14)
    order = await _order(runtime, plant, "FRAME", "5", due_date=monday)
    await _order(runtime, plant, "FRAME", "1", due_date=monday)
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        days = await production_load(session, plant, monday)
    assert days[("WELD", monday - dt.timedelta(days=1))] == (D(0), D(0), None)  # a Sunday
    assert days[("WELD", monday)] == (D(180), D(960), D("18.75"))  # 2 jobs x 8 h
    assert days[("WELD", monday + dt.timedelta(days=1))] == (D(0), D(960), D("0.00"))
    assert days[("ASSY", monday)] == (D(0), D(960), D("0.00"))
    [weld] = await _work_orders(runtime, plant, order)
    async with runtime.db.transaction(plant.id) as session:
        await production.start_work_order(session, plant.id, weld.id)
        await production.finish_work_order(session, plant.id, weld.id, actual_minutes=D(10))
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        days = await production_load(session, plant, monday)
    assert days[("WELD", monday)] == (D(30), D(960), D("3.12"))  # 3.125, half to even


async def production_load(session, plant: Plant, monday: dt.date) -> dict:  # type: ignore[no-untyped-def]
    from subgraphs.production.reads import work_center_load

    codes = {v: k for k, v in plant.centers.items()}
    rows = await work_center_load(
        session, plant.id, start=monday - dt.timedelta(days=1), end=monday + dt.timedelta(days=1)
    )
    return {
        (codes[d.work_center_id], d.date): (d.planned_minutes, d.capacity_minutes, d.load_percent)
        for d in rows
    }


async def test_text_postgres_cannot_store_is_refused_by_the_services_too(
    runtime: Runtime, plant: Plant
) -> None:
    assert await _refused(
        runtime,
        plant,
        lambda s: production.create_template(
            s,
            plant.id,
            name="Seam\x00",
            kind=production.CheckKind.PASS_FAIL,
            product_id=plant["CART"],
        ),
    ) == [("name", "INVALID")]
    assert await _refused(
        runtime,
        plant,
        lambda s: production.create_work_center(s, plant.id, code="X\x00", name="X"),
    ) == [("code", "INVALID")]
