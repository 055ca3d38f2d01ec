"""Landed costs: charges allocated over received stockable lines by value or quantity,
exact to the cent with the remainder on the last line, each share put into the cost of
the stock received."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.purchases.landed_costs import allocate
from tests.conftest import GraphQLClient

from .conftest import (
    CONFIRM,
    CREATE,
    RECEIVE,
    Buyer,
    add_product,
    add_supplier,
    confirmed_order,
    line,
    ok,
    refused,
    stock_of,
)

D = Decimal

ADD = """
mutation($input: AddLandedCostsInput!) {
  addLandedCosts(input: $input) {
    landedCost {
      id receiptId orderId allocation total
      costs { kind amount currency baseAmount }
      lines { position receiptLineId amount product { id } }
    }
    errors { field code message }
  }
}"""


def test_allocation_rounds_each_share_and_leaves_the_remainder_on_the_last() -> None:
    assert allocate(D("10.01"), [D(30), D(20), D(21)]) == [D("4.23"), D("2.82"), D("2.96")]
    assert allocate(D("1.00"), [D(1), D(1), D(1)]) == [D("0.33"), D("0.33"), D("0.34")]
    # half up on every line would give 0.01 x 4 = 0.04 > 0.02: never past what is left
    assert allocate(D("0.02"), [D(1)] * 4) == [D("0.01"), D("0.01"), D("0.00"), D("0.00")]


async def test_costs_by_value_over_a_receipt_are_exact_to_the_cent(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    widget, gadget = buyer.products["widget"], buyer.products["gadget"]
    sprocket = await add_product(runtime, buyer.tenant.id, name="Sprocket")
    order = await confirmed_order(
        gql,
        buyer,
        [
            line(widget, "10", unitCost="3"),
            line(buyer.products["service"], "1", unitCost="50"),
            line(gadget, "20", unitCost="1"),
            line(sprocket, "30", unitCost="0.7"),
        ],
    )
    got = await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    receipt = got["receipt"]
    payload = await ok(
        gql,
        ADD,
        {
            "receiptId": receipt["id"],
            "costs": [
                {"kind": "FREIGHT", "amount": "10.00"},
                {"kind": "INSURANCE", "amount": "0.01", "currency": "EUR"},
            ],
            "allocation": "VALUE",
        },
        buyer.purchasing,
        "addLandedCosts",
    )
    landed = payload["landedCost"]
    assert (landed["receiptId"], landed["orderId"], landed["total"]) == (
        receipt["id"],
        order["id"],
        "10.01",
    )
    assert landed["costs"] == [
        {"kind": "FREIGHT", "amount": "10.00", "currency": "EUR", "baseAmount": "10.00"},
        {"kind": "INSURANCE", "amount": "0.01", "currency": "EUR", "baseAmount": "0.01"},
    ]
    # values 30, 20, 21 (the service line takes no share): 4.2296 -> 4.23,
    # 2.8197 -> 2.82, and the remainder 10.01 - 7.05 = 2.96 on the last line
    assert [(ln["position"], ln["product"]["id"], ln["amount"]) for ln in landed["lines"]] == [
        (1, str(widget), "4.23"),
        (2, str(gadget), "2.82"),
        (3, str(sprocket), "2.96"),
    ]
    assert await stock_of(runtime, buyer.tenant.id, widget) == (D(10), D("3.4230"))
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(20), D("1.1410"))
    # (21 + 2.96) / 30 = 0.79866... -> 0.7987
    assert await stock_of(runtime, buyer.tenant.id, sprocket) == (D(30), D("0.7987"))


async def test_costs_by_quantity_over_an_orders_receipts_convert_at_the_order_rate(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    widget, gadget = buyer.products["widget"], buyer.products["gadget"]
    sprocket = await add_product(runtime, buyer.tenant.id, name="Sprocket")
    usd = await add_supplier(runtime, buyer.tenant.id, "Dollar Inc", currency="USD")
    order = (
        await ok(
            gql,
            CREATE,
            {
                "supplierId": str(usd),
                "lines": [
                    line(widget, "10", unitCost="3"),
                    line(gadget, "20", unitCost="1"),
                    line(sprocket, "30", unitCost="0.7"),
                ],
            },
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
    first = {"id": order["id"], "lines": [{"lineId": order["lines"][0]["id"], "quantity": "10"}]}
    await ok(gql, RECEIVE, first, buyer.purchasing, "receivePurchaseOrder")
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    landed = (
        await ok(
            gql,
            ADD,
            {
                "purchaseOrderId": order["id"],
                "costs": [
                    {"kind": "DUTY", "amount": "1.00"},  # USD x 1.08
                    {"kind": "OTHER", "amount": "0.50", "currency": "EUR"},
                ],
                "allocation": "QUANTITY",
            },
            buyer.purchasing,
            "addLandedCosts",
        )
    )["landedCost"]
    assert (landed["receiptId"], landed["total"]) == (None, "1.58")
    assert [c["baseAmount"] for c in landed["costs"]] == ["1.08", "0.50"]
    # 10, 20, 30 of 60: 0.2633 -> 0.26, 0.5267 -> 0.53, remainder 0.79
    assert [ln["amount"] for ln in landed["lines"]] == ["0.26", "0.53", "0.79"]
    # (10 x 3.24 + 0.26) / 10; (20 x 1.08 + 0.53) / 20; (30 x 0.756 + 0.79) / 30
    assert await stock_of(runtime, buyer.tenant.id, widget) == (D(10), D("3.2660"))
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(20), D("1.1065"))
    assert await stock_of(runtime, buyer.tenant.id, sprocket) == (D(30), D("0.7823"))


async def test_bad_landed_costs_give_payload_errors_and_change_nothing(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    order = await confirmed_order(gql, buyer, [line(gadget, "10")])
    got = await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    cost: dict[str, Any] = {"kind": "FREIGHT", "amount": "5"}

    async def errors(input: dict[str, Any]) -> list[tuple[str, str]]:
        found = await refused(gql, ADD, input, buyer.purchasing, "addLandedCosts")
        return [(e["field"], e["code"]) for e in found]

    assert await errors({"costs": [cost], "allocation": "VALUE"}) == [
        ("input.receiptId", "REQUIRED")
    ]
    receipt = got["receipt"]["id"]
    assert await errors(
        {"receiptId": receipt, "costs": [{**cost, "currency": "GBP"}], "allocation": "VALUE"}
    ) == [("input.costs.0.currency", "INVALID_CHOICE")]
    assert await errors(
        {"receiptId": receipt, "costs": [{**cost, "amount": "0.001"}], "allocation": "VALUE"}
    ) == [("input.costs.0.amount", "TOO_PRECISE")]
    assert await errors({"receiptId": receipt, "costs": [], "allocation": "VALUE"}) == [
        ("input.costs", "REQUIRED")
    ]
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (D(10), D("2.5000"))
    forbidden = await gql(
        ADD,
        {"input": {"receiptId": receipt, "costs": [cost], "allocation": "VALUE"}},
        token=buyer.viewer,
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
