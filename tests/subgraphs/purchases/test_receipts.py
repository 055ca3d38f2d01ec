"""Receipts: done stock moves at the order's unit cost in base currency (the moving
average updates in stock), partial receipts, the over-receipt tolerance, closing the
remainder, idempotency and concurrency."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.purchases.models import Receipt
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient

from .conftest import (
    CLOSE,
    CONFIRM,
    CREATE,
    RECEIVE,
    Buyer,
    add_supplier,
    confirmed_order,
    count,
    create_order,
    events,
    line,
    ok,
    refused,
    set_policy,
    stock_of,
)


async def seed_stock(
    runtime: Runtime, buyer: Buyer, product: uuid.UUID, qty: str, cost: str
) -> None:
    async with runtime.db.transaction(buyer.tenant.id) as session:
        await stock.receive(
            session,
            buyer.tenant.id,
            source=None,
            lines=[stock.SupplyLine(product, buyer.location_id, Decimal(qty), Decimal(cost))],
        )


def receive(order: dict[str, Any], *lines: tuple[int, str]) -> dict[str, Any]:
    return {
        "id": order["id"],
        "lines": [{"lineId": order["lines"][i]["id"], "quantity": q} for i, q in lines],
    }


async def test_partial_then_full_receipt_moves_stock_and_averages_the_cost_exactly(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    widget = buyer.products["widget"]
    await seed_stock(runtime, buyer, widget, "10", "8")
    order = await confirmed_order(gql, buyer, [line(widget, "100")])  # the 9.00 tier
    first = await ok(
        gql, RECEIVE, receive(order, (0, "40")), buyer.purchasing, "receivePurchaseOrder"
    )
    assert first["order"]["status"] == "PARTIALLY_RECEIVED"
    assert first["order"]["lines"][0]["receivedQuantity"] == "40.0000"
    assert first["order"]["lines"][0]["openQuantity"] == "60.0000"
    assert first["receipt"]["lines"] == [
        {
            "orderLineId": order["lines"][0]["id"],
            "quantity": "40.0000",
            "unitCost": "9.0000",
            "product": {"id": str(widget)},
        }
    ]
    # (10 x 8 + 40 x 9) / 50
    assert await stock_of(runtime, buyer.tenant.id, widget) == (Decimal(50), Decimal("8.8000"))
    rest = await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    assert rest["order"]["status"] == "RECEIVED"
    assert rest["order"]["receivedAt"] is not None
    assert rest["receipt"]["lines"][0]["quantity"] == "60.0000"
    # (50 x 8.8 + 60 x 9) / 110 = 8.90909... rounded once
    assert await stock_of(runtime, buyer.tenant.id, widget) == (Decimal(110), Decimal("8.9091"))
    done = await refused(
        gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in done] == [("input.id", "INVALID_STATE")]
    received = await events(runtime, buyer.tenant.id, "po.received")
    assert [(p["complete"], p["lines"][0]["quantity"]) for p in received] == [
        (False, "40.0000"),
        (True, "60.0000"),
    ]
    async with runtime.db.transaction(buyer.tenant.id, readonly=True) as session:
        moves = await stock.list_moves(
            session,
            buyer.tenant.id,
            filter=stock.MoveFilter(product_id=widget),
            first=10,
            after=None,
        )
        sources = sorted((m.source_type, m.quantity) for m in moves.rows if m.source_type)
    assert sources == [("PurchaseOrder", Decimal("40.0000")), ("PurchaseOrder", Decimal("60.0000"))]


async def test_a_foreign_currency_receipt_is_valued_in_base_currency_at_the_fixed_rate(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    usd = await add_supplier(runtime, buyer.tenant.id, "Dollar Inc", currency="USD")
    gadget = buyer.products["gadget"]
    created = await ok(
        gql,
        CREATE,
        {"supplierId": str(usd), "lines": [line(gadget, "3", unitCost="2.3333")]},
        buyer.purchasing,
        "createPurchaseOrder",
    )
    order = created["order"]
    await ok(
        gql,
        CONFIRM,
        {"id": order["id"], "exchangeRate": "1.08"},
        buyer.purchasing,
        "confirmPurchaseOrder",
    )
    got = await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    # 2.3333 USD x 1.08 = 2.519964 EUR, stored to four places half-up
    assert got["receipt"]["lines"][0]["unitCost"] == "2.5200"
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(3), Decimal("2.5200"))
    cost = await gql(
        "query($id: ID!) { purchaseOrder(id: $id) { lines { product { id } } } }",
        {"id": order["id"]},
        token=buyer.viewer,
    )
    assert cost["data"]["purchaseOrder"]["lines"][0]["product"]["id"] == str(gadget)


async def test_over_receipt_beyond_tolerance_is_refused_and_nothing_moves(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    await set_policy(runtime, buyer.tenant.id, receipt_tolerance="10")
    order = await confirmed_order(gql, buyer, [line(gadget, "10")])
    errors = await refused(
        gql, RECEIVE, receive(order, (0, "11.0001")), buyer.purchasing, "receivePurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.lines.0.quantity", "OVER_RECEIPT")]
    assert (
        errors[0]["message"] == "At most 11 more can be received on line 1 (10 ordered, 0 received)"
    )
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(0), Decimal("0.0000"))
    assert await count(runtime, buyer.tenant.id, Receipt) == 0
    got = await ok(
        gql, RECEIVE, receive(order, (0, "11")), buyer.purchasing, "receivePurchaseOrder"
    )
    assert got["order"]["status"] == "RECEIVED"
    assert got["order"]["lines"][0]["receivedQuantity"] == "11.0000"
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(11), Decimal("2.5000"))


async def test_bad_receipt_lines_give_payload_errors(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await confirmed_order(gql, buyer, [line(buyer.products["gadget"], "5")])
    other = await confirmed_order(gql, buyer, [line(buyer.products["gadget"], "5")])
    line_id = order["lines"][0]["id"]
    errors = await refused(
        gql,
        RECEIVE,
        {
            "id": order["id"],
            "lines": [
                {"lineId": line_id, "quantity": "1"},
                {"lineId": line_id, "quantity": "1"},
                {"lineId": other["lines"][0]["id"], "quantity": "1"},
                {"lineId": "not-an-id", "quantity": "1"},
                {"lineId": line_id, "quantity": "-3"},
            ],
        },
        buyer.purchasing,
        "receivePurchaseOrder",
    )
    assert [(e["field"], e["code"]) for e in errors] == [
        ("input.lines.1.lineId", "DUPLICATE"),
        ("input.lines.2.lineId", "NOT_FOUND"),
        ("input.lines.3.lineId", "NOT_FOUND"),
        ("input.lines.4.lineId", "DUPLICATE"),
        ("input.lines.4.quantity", "MUST_BE_POSITIVE"),
    ]
    empty = await refused(
        gql, RECEIVE, {"id": order["id"], "lines": []}, buyer.purchasing, "receivePurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in empty] == [("input.lines", "REQUIRED")]
    rfq = await create_order(gql, buyer, [line(buyer.products["gadget"], "5")])
    early = await refused(gql, RECEIVE, {"id": rfq["id"]}, buyer.purchasing, "receivePurchaseOrder")
    assert [(e["field"], e["code"]) for e in early] == [("input.id", "INVALID_STATE")]
    unknown = await refused(
        gql, RECEIVE, {"id": str(uuid.uuid4())}, buyer.purchasing, "receivePurchaseOrder"
    )
    assert [(e["field"], e["code"]) for e in unknown] == [("input.id", "NOT_FOUND")]
    assert await count(runtime, buyer.tenant.id, Receipt) == 0


async def test_closing_cancels_the_remainder_and_a_service_line_needs_no_stock(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget, service = buyer.products["gadget"], buyer.products["service"]
    order = await confirmed_order(
        gql, buyer, [line(gadget, "10"), line(service, "1", unitCost="75")]
    )
    early = await refused(gql, CLOSE, {"id": order["id"]}, buyer.purchasing, "closePurchaseOrder")
    assert [(e["field"], e["code"]) for e in early] == [("input.id", "INVALID_STATE")]
    await ok(
        gql, RECEIVE, receive(order, (0, "4"), (1, "1")), buyer.purchasing, "receivePurchaseOrder"
    )
    closed = await ok(gql, CLOSE, {"id": order["id"]}, buyer.purchasing, "closePurchaseOrder")
    o = closed["order"]
    assert (o["status"], o["closedAt"] is not None) == ("RECEIVED", True)
    assert [
        (ln["receivedQuantity"], ln["cancelledQuantity"], ln["openQuantity"]) for ln in o["lines"]
    ] == [
        ("4.0000", "6.0000", "0.0000"),
        ("1.0000", "0.0000", "0.0000"),
    ]
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(4), Decimal("2.5000"))
    assert (await stock_of(runtime, buyer.tenant.id, service))[0] == Decimal(0)


async def test_an_idempotency_key_replays_the_receipt_without_moving_stock_twice(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    order = await confirmed_order(gql, buyer, [line(gadget, "10")])
    headers = {"Idempotency-Key": f"rec-{order['id']}"}
    body = receive(order, (0, "3"))
    first = await ok(gql, RECEIVE, body, buyer.purchasing, "receivePurchaseOrder", headers)
    again = await ok(gql, RECEIVE, body, buyer.purchasing, "receivePurchaseOrder", headers)
    assert again["receipt"]["id"] == first["receipt"]["id"]
    assert again["order"]["lines"][0]["receivedQuantity"] == "3.0000"
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(3), Decimal("2.5000"))


async def test_twenty_concurrent_receipts_of_one_order_never_over_receive(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    gadget = buyer.products["gadget"]
    order = await confirmed_order(gql, buyer, [line(gadget, "10")])
    results = await asyncio.gather(
        *(
            gql(RECEIVE, {"input": receive(order, (0, "1"))}, token=buyer.purchasing)
            for _ in range(20)
        )
    )
    payloads = [r["data"]["receivePurchaseOrder"] for r in results]
    assert all("errors" not in r for r in results)
    succeeded = [p for p in payloads if not p["errors"]]
    refusals = sorted({e["code"] for p in payloads for e in p["errors"]})
    assert len(succeeded) == 10
    assert refusals == ["INVALID_STATE", "OVER_RECEIPT"] or refusals in (
        ["INVALID_STATE"],
        ["OVER_RECEIPT"],
    )
    assert await stock_of(runtime, buyer.tenant.id, gadget) == (Decimal(10), Decimal("2.5000"))
    assert await count(runtime, buyer.tenant.id, Receipt) == 10
    final = await gql(
        "query($id: ID!) { purchaseOrder(id: $id) { status lines { receivedQuantity } "
        "receipts { number } } }",
        {"id": order["id"]},
        token=buyer.viewer,
    )
    po = final["data"]["purchaseOrder"]
    assert po["status"] == "RECEIVED"
    assert po["lines"] == [{"receivedQuantity": "10.0000"}]
    assert len({r["number"] for r in po["receipts"]}) == 10
