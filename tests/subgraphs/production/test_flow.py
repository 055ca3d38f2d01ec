"""The acceptance walk through a three-level structure (see conftest's plant): explosion,
buildable quantity, confirmation with child orders, work orders, a failed quality check
that blocks and a passing re-check, a partial completion with its backorder, then the
backorder's completion — with every stock level, move and unit cost exact."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.production import api as production
from subgraphs.production.models import ComponentLine, WorkOrder
from subgraphs.stock import api as stock

from .conftest import Plant, cost, events, levels

D = Decimal


async def _components(runtime: Runtime, plant: Plant, order_id: uuid.UUID) -> dict[str, tuple]:
    names = {v: k for k, v in plant.products.items()}
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        from sqlalchemy import select

        rows = await session.scalars(
            select(ComponentLine)
            .where(ComponentLine.order_id == order_id)
            .order_by(ComponentLine.position)
        )
        return {
            names[r.product_id]: (r.quantity, r.reserved, r.consumed, r.unit_cost) for r in rows
        }


async def _work_orders(runtime: Runtime, plant: Plant, order_id: uuid.UUID) -> list[WorkOrder]:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        from sqlalchemy import select

        rows = await session.scalars(
            select(WorkOrder).where(WorkOrder.order_id == order_id).order_by(WorkOrder.sequence)
        )
        found = list(rows.all())
        session.expunge_all()
        return found


async def _order(runtime: Runtime, plant: Plant, order_id: uuid.UUID) -> production.ProductionOrder:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        found = await production.get_order(session, plant.id, order_id)
        session.expunge_all()
        return found


async def _children(runtime: Runtime, plant: Plant, parent: uuid.UUID) -> list:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        page = await production.list_orders(
            session,
            plant.id,
            filter=production.OrderFilter(parent_id=parent),
            first=10,
            after=None,
        )
        session.expunge_all()  # a read-only transaction ends in a rollback, which expires
    return page.rows


async def _run_work_orders(
    runtime: Runtime, plant: Plant, order_id: uuid.UUID, minutes: dict[str, str]
) -> None:
    for wo in await _work_orders(runtime, plant, order_id):
        async with runtime.db.transaction(plant.id) as session:
            await production.start_work_order(session, plant.id, wo.id)
        async with runtime.db.transaction(plant.id) as session:
            await production.finish_work_order(
                session, plant.id, wo.id, actual_minutes=D(minutes[wo.name])
            )


async def test_explosion_nets_each_level_against_stock(runtime: Runtime, plant: Plant) -> None:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        found = await production.bom_explosion(
            session, plant.id, product_id=plant["CART"], quantity=D(4)
        )
    assert found is not None
    names = {v: k for k, v in plant.products.items()}
    got = [
        (names[r.product_id], r.level, r.quantity, r.available, r.shortfall, r.manufactured)
        for r in found.lines
    ]
    # Levels in order; within one, in the order the BOMs list the parts.
    assert got == [
        ("CHASSIS", 1, D("4.0000"), D(0), D(4), True),
        ("FRAME", 2, D("4.0000"), D("1.0000"), D(3), True),
        ("PAINT", 2, D("2.0000"), D("10.0000"), D(0), False),
        # 4 x 5 (scrap 25%) for the carts plus 3 x 4 for the frames that are made.
        ("BOLT", 3, D("32.0000"), D("150.0000"), D(0), False),
        ("STEEL", 3, D("6.0000"), D("100.0000"), D(0), False),
    ]


async def test_buildable_quantity_goes_through_every_level(runtime: Runtime, plant: Plant) -> None:
    async with runtime.db.transaction(plant.id, readonly=True) as session:
        found = await production.buildable_quantities(
            session,
            plant.id,
            [(plant["CART"], None), (plant["FRAME"], None), (plant["STEEL"], None)],
        )
    # n carts need 5n bolts and, for n - 1 frames to make, 4(n - 1) more: 9n - 4 <= 150.
    # Paint allows 20 chassis, steel 51 frames; so bolts decide: 17.
    assert found[(plant["CART"], None)] == D(17)
    assert found[(plant["FRAME"], None)] == D(37)  # 150 bolts / 4
    assert found[(plant["STEEL"], None)] is None  # not made here


async def test_three_levels_from_confirmation_to_the_last_backorder(
    runtime: Runtime, plant: Plant
) -> None:
    tenant = plant.id
    async with runtime.db.transaction(tenant) as session:
        cart = await production.create_order(
            session,
            tenant,
            product_id=plant["CART"],
            quantity=D(4),
            warehouse_id=plant.warehouse_id,
        )
        template = await production.create_template(
            session,
            tenant,
            name="Wheel alignment",
            kind=production.CheckKind.MEASUREMENT,
            product_id=plant["CART"],
            min_value=D(1),
            max_value=D(2),
        )
    assert cart.number.endswith("-00001")
    async with runtime.db.transaction(tenant) as session:
        await production.confirm_order(session, tenant, cart.id, plan_subassemblies=True)

    # The cart reserves its bolts; its chassis are made by a child order, whose frames are
    # partly in stock (1 reserved) and partly made by a grandchild order.
    assert await _components(runtime, plant, cart.id) == {
        "CHASSIS": (D(4), D(0), D(0), None),
        "BOLT": (D(20), D(20), D(0), None),
    }
    [chassis] = await _children(runtime, plant, cart.id)
    assert (chassis.quantity, chassis.status, chassis.number[-5:]) == (D(4), "CONFIRMED", "00002")
    assert await _components(runtime, plant, chassis.id) == {
        "FRAME": (D(4), D(1), D(0), None),
        "PAINT": (D(2), D(2), D(0), None),
    }
    [frame] = await _children(runtime, plant, chassis.id)
    assert (frame.quantity, frame.number[-5:]) == (D(3), "00003")
    assert await _components(runtime, plant, frame.id) == {
        "STEEL": (D(6), D(6), D(0), None),
        "BOLT": (D(12), D(12), D(0), None),
    }
    assert await levels(runtime, tenant, plant["BOLT"]) == (D(150), D(32))
    assert [
        (w.name, w.status, w.planned_minutes) for w in await _work_orders(runtime, plant, cart.id)
    ] == [
        ("Assemble", "READY", D(240)),
        ("Inspect", "PENDING", D(60)),
    ]
    confirmed = await events(runtime, tenant, production.ProductionEvent.CONFIRMED)
    assert sorted(e["number"][-5:] for e in confirmed) == ["00001", "00002", "00003"]
    assert {e["number"][-5:]: e["childOrderIds"] for e in confirmed} == {
        "00001": [str(chassis.id)],
        "00002": [str(frame.id)],
        "00003": [],
    }

    # Level 3: 3 frames from 6 steel @ 2 and 12 bolts @ 0.10, 90 minutes welding @ 40/h.
    await _run_work_orders(runtime, plant, frame.id, {"Weld": "90"})
    async with runtime.db.transaction(tenant) as session:
        done = await production.complete_order(session, tenant, frame.id)
    assert (done.material_cost, done.operation_cost, done.unit_cost) == (
        D("13.2000"),
        D("60.0000"),
        D("24.4000"),
    )
    assert await cost(runtime, tenant, plant["FRAME"]) == D("23.3000")  # (20 + 3 x 24.40) / 4
    # The made frames are reserved for the chassis order right away.
    assert (await _components(runtime, plant, chassis.id))["FRAME"] == (D(4), D(4), D(0), None)

    # Level 2: 4 frames @ 23.30 and 2 paint @ 8; 80 minutes painting @ 30/h.
    await _run_work_orders(runtime, plant, chassis.id, {"Paint": "80"})
    async with runtime.db.transaction(tenant) as session:
        done = await production.complete_order(session, tenant, chassis.id)
    assert (done.material_cost, done.operation_cost, done.unit_cost) == (
        D("109.2000"),
        D("40.0000"),
        D("37.3000"),
    )
    assert (await _components(runtime, plant, cart.id))["CHASSIS"] == (D(4), D(4), D(0), None)

    # Level 1, with quality control: a measurement out of bounds blocks the order.
    [assemble, inspect] = await _work_orders(runtime, plant, cart.id)
    async with runtime.db.transaction(tenant) as session:
        await production.start_work_order(session, tenant, assemble.id)
    async with runtime.db.transaction(tenant) as session:
        failed = await production.record_check(
            session,
            tenant,
            production_order_id=cart.id,
            template_id=template.id,
            measured_value=D("2.5"),
            note="toe-in",
            actor=plant.tenant.admin_id,
        )
    assert (failed.check.passed, failed.order.status) == (False, "BLOCKED")
    assert failed.check.checked_by == plant.tenant.admin_id
    async with runtime.db.transaction(tenant) as session:
        await production.finish_work_order(session, tenant, assemble.id, actual_minutes=D(240))
    for attempt in (
        lambda s: production.start_work_order(s, tenant, inspect.id),
        lambda s: production.complete_order(s, tenant, cart.id),
    ):
        with pytest.raises(InvalidInput) as refused:
            async with runtime.db.transaction(tenant) as session:
                await attempt(session)
        assert [p.code for p in refused.value.problems] == ["QUALITY_BLOCKED"]
    [failure] = await events(runtime, tenant, production.ProductionEvent.QUALITY_FAILED)
    assert (failure["orderId"], failure["required"], failure["measuredValue"]) == (
        str(cart.id),
        True,
        "2.5",
    )
    async with runtime.db.transaction(tenant) as session:
        passed = await production.record_check(
            session,
            tenant,
            production_order_id=cart.id,
            template_id=template.id,
            measured_value=D("1.5"),
        )
    assert (passed.check.passed, passed.order.status) == (True, "IN_PROGRESS")
    async with runtime.db.transaction(tenant) as session:
        await production.start_work_order(session, tenant, inspect.id)
    async with runtime.db.transaction(tenant) as session:
        await production.finish_work_order(session, tenant, inspect.id, actual_minutes=D(60))

    # Partial completion: 3 of 4 carts. 3 chassis @ 37.30 + 15 bolts @ 0.10 = 113.40;
    # 240 min @ 50/h + 60 min @ 20/h = 220; the scrap metal (1.5 kg) carries 10%.
    async with runtime.db.transaction(tenant) as session:
        done = await production.complete_order(
            session, tenant, cart.id, produced_quantity=D(3), actor=plant.tenant.admin_id
        )
    assert (done.status, done.produced_quantity) == ("DONE", D(3))
    assert (done.material_cost, done.operation_cost, done.unit_cost) == (
        D("113.4000"),
        D("220.0000"),
        D("100.0200"),  # (333.40 - 33.34) / 3
    )
    assert await _components(runtime, plant, cart.id) == {
        "CHASSIS": (D(4), D(0), D(3), D("37.3000")),
        "BOLT": (D(20), D(0), D(15), D("0.1000")),
    }
    async with runtime.db.transaction(tenant, readonly=True) as session:
        moves = (
            await stock.list_moves(
                session, tenant, filter=stock.MoveFilter(source_id=cart.id), first=20, after=None
            )
        ).rows
        session.expunge_all()
    names = {v: k for k, v in plant.products.items()}
    assert sorted((names[m.product_id], m.quantity, m.unit_cost) for m in moves) == [
        ("BOLT", D(15), D("0.1000")),
        ("CART", D(3), D("100.0200")),
        ("CHASSIS", D(3), D("37.3000")),
        ("SCRAP", D("1.5"), D("22.2267")),  # 33.34 / 1.5
    ]

    # The rest is a confirmed backorder holding what the first order released.
    async with runtime.db.transaction(tenant, readonly=True) as session:
        page = await production.list_orders(
            session,
            tenant,
            filter=production.OrderFilter(product_id=plant["CART"]),
            first=10,
            after=None,
        )
        session.expunge_all()
    [first, rest] = sorted(page.rows, key=lambda o: o.number)
    assert (first.id, rest.quantity, rest.status, rest.backorder_of_id) == (
        cart.id,
        D(1),
        "CONFIRMED",
        cart.id,
    )
    assert rest.number.endswith("-00004")
    assert await _components(runtime, plant, rest.id) == {
        "CHASSIS": (D(1), D(1), D(0), None),
        "BOLT": (D(5), D(5), D(0), None),
    }
    await _run_work_orders(runtime, plant, rest.id, {"Assemble": "60", "Inspect": "15"})
    async with runtime.db.transaction(tenant) as session:
        done = await production.complete_order(session, tenant, rest.id)
    assert (done.material_cost, done.operation_cost, done.unit_cost) == (
        D("37.8000"),
        D("55.0000"),
        D("83.5200"),  # (92.80 - 9.28) / 1
    )

    assert await cost(runtime, tenant, plant["CART"]) == D("95.8950")  # (300.06 + 83.52) / 4
    assert await cost(runtime, tenant, plant["SCRAP"]) == D("21.3100")
    expected = {
        "CART": (D(4), D(0)),
        "CHASSIS": (D(0), D(0)),
        "FRAME": (D(0), D(0)),
        "STEEL": (D(94), D(0)),
        "BOLT": (D(118), D(0)),  # 150 - 12 - 15 - 5
        "PAINT": (D(8), D(0)),
        "SCRAP": (D(2), D(0)),
    }
    assert {sku: await levels(runtime, tenant, plant[sku]) for sku in expected} == expected
    done_events = await events(runtime, tenant, production.ProductionEvent.DONE)
    assert [(e["number"][-5:], e["producedQuantity"], e["backorderId"]) for e in done_events] == [
        ("00003", "3.0000", None),
        ("00002", "4.0000", None),
        ("00001", "3.0000", str(rest.id)),
        ("00004", "1.0000", None),
    ]
