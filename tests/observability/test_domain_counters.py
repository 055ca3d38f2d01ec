"""Purchases and production count their business events where they happen, by exactly
what committed: a refused step or a rolled-back transaction counts nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import REGISTRY

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.production import api as production
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.production.conftest import make_plant
from tests.subgraphs.purchases.conftest import (
    CONFIRM,
    CREATE_BILL,
    RECEIVE,
    confirmed_order,
    line,
    make_buyer,
    ok,
    refused,
)

D = Decimal


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


PURCHASES = (
    ("nexo_purchases_orders_confirmed_total", {}),
    ("nexo_purchases_receipts_total", {}),
    ("nexo_purchases_bills_posted_total", {"currency": "EUR"}),
)
PRODUCTION = (
    *(
        ("nexo_production_order_transitions_total", {"status": s})
        for s in ("CONFIRMED", "IN_PROGRESS", "BLOCKED", "DONE", "CANCELLED")
    ),
    ("nexo_production_quality_failed_total", {}),
)


def snapshot(which: tuple[tuple[str, dict[str, str]], ...]) -> dict[str, float]:
    return {f"{n}{sorted(labels.items())}": sample(n, **labels) for n, labels in which}


def moved(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in before}


@pytest.fixture
def purchases_gql(runtime: Runtime) -> GraphQLClient:
    from subgraphs.purchases.app import build

    return GraphQLClient(runtime, build())


async def test_purchase_orders_receipts_and_bills_are_counted(
    runtime: Runtime, purchases_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    buyer = await make_buyer(runtime, tenant)
    before = snapshot(PURCHASES)
    order = await confirmed_order(purchases_gql, buyer, [line(buyer.products["gadget"], "10")])
    again = await refused(
        purchases_gql, CONFIRM, {"id": order["id"]}, buyer.purchasing, "confirmPurchaseOrder"
    )
    assert again[0]["code"] == "INVALID_TRANSITION"
    half = [{"lineId": order["lines"][0]["id"], "quantity": "4"}]
    for lines in (half, None):  # two receipts: 4, then the rest
        await ok(
            purchases_gql,
            RECEIVE,
            {"id": order["id"], **({"lines": lines} if lines else {})},
            buyer.purchasing,
            "receivePurchaseOrder",
        )
    bill = await ok(
        purchases_gql,
        CREATE_BILL,
        {"orderId": order["id"], "supplierReference": "S-1", "billDate": "2026-03-10"},
        buyer.purchasing,
        "createVendorBill",
    )
    assert bill["bill"]["status"] == "POSTED"
    assert moved(before, snapshot(PURCHASES)) == {
        "nexo_purchases_orders_confirmed_total[]": 1,
        "nexo_purchases_receipts_total[]": 2,
        "nexo_purchases_bills_posted_total[('currency', 'EUR')]": 1,
    }


async def _work_orders(runtime: Runtime, tenant: Any, order_id: Any) -> list[Any]:
    from sqlalchemy import select

    from subgraphs.production.models import WorkOrder

    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.scalars(
            select(WorkOrder).where(WorkOrder.order_id == order_id).order_by(WorkOrder.sequence)
        )
        found = list(rows.all())
        session.expunge_all()
        return found


async def test_production_states_and_failed_quality_checks_are_counted(
    runtime: Runtime, tenant: TenantHandle
) -> None:
    plant = await make_plant(runtime, tenant)
    tid = plant.id
    before = snapshot(PRODUCTION)
    async with runtime.db.transaction(tid) as session:
        frame = await production.create_order(
            session, tid, product_id=plant["FRAME"], quantity=D(2), warehouse_id=plant.warehouse_id
        )
        spare = await production.create_order(
            session, tid, product_id=plant["FRAME"], quantity=D(1), warehouse_id=plant.warehouse_id
        )
        template = await production.create_template(
            session,
            tid,
            name="Weld seam",
            kind=production.CheckKind.MEASUREMENT,
            product_id=plant["FRAME"],
            min_value=D(1),
            max_value=D(2),
        )
    async with runtime.db.transaction(tid) as session:
        await production.confirm_order(session, tid, frame.id)
    with pytest.raises(InvalidInput):  # refused: counts nothing
        async with runtime.db.transaction(tid) as session:
            await production.confirm_order(session, tid, frame.id)
    [weld] = await _work_orders(runtime, tid, frame.id)
    async with runtime.db.transaction(tid) as session:
        await production.start_work_order(session, tid, weld.id)
    for measured in ("3", "2.5", "1.5"):  # two failures (blocked once), then a pass
        async with runtime.db.transaction(tid) as session:
            await production.record_check(
                session,
                tid,
                production_order_id=frame.id,
                template_id=template.id,
                measured_value=D(measured),
            )
    async with runtime.db.transaction(tid) as session:
        await production.finish_work_order(session, tid, weld.id, actual_minutes=D(60))
    async with runtime.db.transaction(tid) as session:
        await production.complete_order(session, tid, frame.id)
    async with runtime.db.transaction(tid) as session:
        await production.cancel_order(session, tid, spare.id)
    assert moved(before, snapshot(PRODUCTION)) == {
        "nexo_production_order_transitions_total[('status', 'CONFIRMED')]": 1,
        "nexo_production_order_transitions_total[('status', 'IN_PROGRESS')]": 1,
        "nexo_production_order_transitions_total[('status', 'BLOCKED')]": 1,
        "nexo_production_order_transitions_total[('status', 'DONE')]": 1,
        "nexo_production_order_transitions_total[('status', 'CANCELLED')]": 1,
        "nexo_production_quality_failed_total[]": 2,
    }
