"""A vendor bill priced unlike its order revalues the stock received at the ordered
cost: (billed - ordered unit price) x billed-and-received quantity x the order's rate."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from shared.context import Runtime
from shared.db import TenantId
from subgraphs.stock.models import CostAdjustment
from tests.conftest import GraphQLClient

from .conftest import (
    CONFIRM,
    CREATE,
    CREATE_BILL,
    RECEIVE,
    RELEASE_BILL,
    Buyer,
    add_supplier,
    confirmed_order,
    line,
    ok,
    set_policy,
    stock_of,
)

D = Decimal


async def adjustments(runtime: Runtime, tenant: TenantId) -> list[tuple[object, ...]]:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.execute(
            select(
                CostAdjustment.source_type,
                CostAdjustment.source_id,
                CostAdjustment.value_change,
                CostAdjustment.quantity,
                CostAdjustment.old_cost,
                CostAdjustment.new_cost,
            ).order_by(CostAdjustment.created_at)
        )
        return [tuple(r) for r in rows.all()]


async def test_a_bill_above_the_ordered_price_raises_the_cost_of_what_was_received(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, match_tolerance="5")
    widget = buyer.products["widget"]
    order = await confirmed_order(gql, buyer, [line(widget, "100")])
    await ok(
        gql,
        RECEIVE,
        {"id": order["id"], "lines": [{"lineId": order["lines"][0]["id"], "quantity": "60"}]},
        buyer.purchasing,
        "receivePurchaseOrder",
    )
    assert await stock_of(runtime, buyer.tenant.id, widget) == (D(60), D("9.0000"))
    bill = (
        await ok(
            gql,
            CREATE_BILL,
            {
                "orderId": order["id"],
                "supplierReference": "PD-1",
                # 63 billed, only 60 of them received: 0.45 x 60 = 27.00 goes into stock
                "lines": [
                    {"lineId": order["lines"][0]["id"], "quantity": "63", "unitCost": "9.45"}
                ],
            },
            buyer.purchasing,
            "createVendorBill",
        )
    )["bill"]
    assert bill["status"] == "POSTED"
    # (60 x 9 + 27) / 60
    assert await stock_of(runtime, buyer.tenant.id, widget) == (D(60), D("9.4500"))
    assert await adjustments(runtime, buyer.tenant.id) == [
        ("VendorBill", uuid.UUID(bill["id"]), D("27.0000"), D("60.0000"), D("9.0000"), D("9.4500"))
    ]


async def test_a_held_bill_revalues_only_when_released(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    order = await confirmed_order(gql, buyer, [line(gadget, "10")])
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    bill = (
        await ok(
            gql,
            CREATE_BILL,
            {
                "orderId": order["id"],
                "supplierReference": "PD-2",
                "lines": [{"lineId": order["lines"][0]["id"], "quantity": "10", "unitCost": "2.3"}],
            },
            buyer.purchasing,
            "createVendorBill",
        )
    )["bill"]
    assert bill["status"] == "HELD"
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(10), D("2.5000"))
    await ok(gql, RELEASE_BILL, {"id": bill["id"]}, buyer.manager, "releaseVendorBill")
    # a credit: (10 x 2.5 - 0.2 x 10) / 10
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(10), D("2.3000"))
    [(_, _, change, *_)] = await adjustments(runtime, buyer.tenant.id)
    assert change == D("-2.0000")


async def test_a_foreign_currency_difference_is_converted_at_the_order_rate(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, match_tolerance="5")
    usd = await add_supplier(runtime, buyer.tenant.id, "Dollar Inc", currency="USD")
    gadget = buyer.products["gadget"]
    order = (
        await ok(
            gql,
            CREATE,
            {"supplierId": str(usd), "lines": [line(gadget, "3", unitCost="2.3333")]},
            buyer.purchasing,
            "createPurchaseOrder",
        )
    )["order"]
    await ok(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "1.08"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(3), D("2.5200"))
    await ok(
        gql,
        CREATE_BILL,
        {
            "orderId": order["id"],
            "supplierReference": "USD-1",
            "lines": [{"lineId": order["lines"][0]["id"], "quantity": "3", "unitCost": "2.40"}],
        },
        buyer.purchasing,
        "createVendorBill",
    )
    # 0.0667 USD x 3 x 1.08 = 0.216108 EUR; (3 x 2.52 + 0.216108) / 3 = 2.592036 -> 2.5920
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(3), D("2.5920"))
    [(_, _, change, quantity, old, new)] = await adjustments(runtime, buyer.tenant.id)
    assert (change, quantity, old, new) == (D("0.2161"), D("3.0000"), D("2.5200"), D("2.5920"))


async def test_a_bill_at_the_ordered_price_changes_no_cost(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    order = await confirmed_order(gql, buyer, [line(gadget, "4")])
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    await ok(
        gql,
        CREATE_BILL,
        {"orderId": order["id"], "supplierReference": "SAME-1"},
        buyer.purchasing,
        "createVendorBill",
    )
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(4), D("2.5000"))
    assert await adjustments(runtime, buyer.tenant.id) == []
