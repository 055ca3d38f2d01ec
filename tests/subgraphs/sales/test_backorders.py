"""Backorders through the sales API (issue 12 item 9): a backordered order's open rest is
a claim in stock, served oldest order first when goods arrive; delivering without lines
ships what is reserved; `closeSalesOrder` cancels the rest of a partly delivered order."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle, make_tenant
from tests.subgraphs.sales.conftest import (
    CONFIRM,
    DELIVER,
    INVOICE,
    Shop,
    create_order,
    event_count,
    line,
    make_shop,
    receive,
)

D = Decimal

LINES = "lines { id quantity deliveredQuantity backorderedQuantity }"

CLOSE = f"""
mutation($input: SalesOrderIdInput!) {{
  closeSalesOrder(input: $input) {{
    order {{ id status {LINES} }} errors {{ field code message }}
  }}
}}"""

CANCEL = f"""
mutation($input: SalesOrderIdInput!) {{
  cancelSalesOrder(input: $input) {{
    order {{ id status {LINES} }} errors {{ field code message }}
  }}
}}"""

ORDER = f"query($id: ID!) {{ salesOrder(id: $id) {{ id status {LINES} }} }}"


async def backordered_order(
    gql: GraphQLClient, shop: Shop, product: str, quantity: str
) -> dict[str, Any]:
    order = await create_order(gql, shop, [line(shop.products[product], quantity)])
    result = await gql(
        CONFIRM, {"input": {"id": order["id"], "allowBackorder": True}}, token=shop.token
    )
    payload = result["data"]["confirmSalesOrder"]
    assert payload["errors"] == []
    return dict(payload["order"])


async def lines_of(gql: GraphQLClient, shop: Shop, order_id: str) -> list[tuple[str, str, str]]:
    """(quantity, delivered, backordered) per line."""
    result = await gql(ORDER, {"id": order_id}, token=shop.token)
    order = result["data"]["salesOrder"]
    return [
        (plain(ln["quantity"]), plain(ln["deliveredQuantity"]), plain(ln["backorderedQuantity"]))
        for ln in order["lines"]
    ]


def plain(quantity: str) -> str:
    """A quantity without trailing zeros, exactly: "10.0000" -> "10"."""
    return f"{D(quantity).normalize():f}"


async def stock_of(runtime: Runtime, shop: Shop, product: str) -> tuple[Decimal, ...]:
    """(on hand, reserved, backordered) of the product at the shop's STOCK location."""
    tenant = shop.tenant.id
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await stock.levels_by_product(session, tenant, [shop.products[product]])
        assert await stock.verify_levels(session, tenant) == []
    [level] = rows[shop.products[product]]
    return level.on_hand, level.reserved, level.claimed


async def test_arriving_goods_go_to_the_older_order_even_when_the_newer_would_fit(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="4")
    older = await backordered_order(sales_gql, shop, "widget", "10")  # 4 reserved, 6 open
    newer = await backordered_order(sales_gql, shop, "widget", "3")  # 0 reserved, 3 open
    assert await lines_of(sales_gql, shop, older["id"]) == [("10", "0", "6")]
    assert await lines_of(sales_gql, shop, newer["id"]) == [("3", "0", "3")]
    assert await stock_of(runtime, shop, "widget") == (D(4), D(4), D(9))
    # 3 arrive: exactly the newer order's need, yet the older one waits longer.
    await receive(runtime, tenant.id, shop.products["widget"], shop.location_id, "3")
    assert await lines_of(sales_gql, shop, older["id"]) == [("10", "0", "3")]
    assert await lines_of(sales_gql, shop, newer["id"]) == [("3", "0", "3")]
    await receive(runtime, tenant.id, shop.products["widget"], shop.location_id, "5")
    assert await lines_of(sales_gql, shop, older["id"]) == [("10", "0", "0")]
    assert await lines_of(sales_gql, shop, newer["id"]) == [("3", "0", "1")]
    assert await stock_of(runtime, shop, "widget") == (D(12), D(12), D(1))
    assert await event_count(runtime, tenant.id, stock.StockEvent.CLAIM_RESERVED) == 3


async def test_deliver_ships_the_reserved_part_then_close_cancels_the_rest(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="4")
    order = await backordered_order(sales_gql, shop, "widget", "10")
    key = {"idempotency-key": f"deliver-{uuid.uuid4()}"}
    for _ in range(2):  # the same key replays the first delivery
        result = await sales_gql(
            DELIVER, {"input": {"id": order["id"]}}, token=shop.token, headers=key
        )
        delivered = result["data"]["deliverSalesOrder"]
        assert delivered["errors"] == []
        assert delivered["order"]["status"] == "PARTIALLY_DELIVERED"
    assert await lines_of(sales_gql, shop, order["id"]) == [("10", "4", "6")]
    assert await stock_of(runtime, shop, "widget") == (D(0), D(0), D(6))
    # Nothing reserved any more: a delivery of "what is reserved" has nothing to ship.
    result = await sales_gql(DELIVER, {"input": {"id": order["id"]}}, token=shop.token)
    assert [e["code"] for e in result["data"]["deliverSalesOrder"]["errors"]] == [
        "INSUFFICIENT_STOCK"
    ]
    await receive(runtime, tenant.id, shop.products["widget"], shop.location_id, "2")
    assert await lines_of(sales_gql, shop, order["id"]) == [("10", "4", "4")]

    result = await sales_gql(CLOSE, {"input": {"id": order["id"]}}, token=shop.token)
    closed = result["data"]["closeSalesOrder"]
    assert closed["errors"] == []
    assert closed["order"]["status"] == "DELIVERED"
    assert [
        (plain(ln["deliveredQuantity"]), plain(ln["backorderedQuantity"]))
        for ln in closed["order"]["lines"]
    ] == [("4", "0")]
    # The 2 reserved units and the 4 still claimed are free again.
    assert await stock_of(runtime, shop, "widget") == (D(2), D(0), D(0))
    assert await event_count(runtime, tenant.id, "order.closed") == 1
    # What was delivered is still invoiced: 4 x 12.50.
    result = await sales_gql(INVOICE, {"input": {"id": order["id"]}}, token=shop.token)
    invoice = result["data"]["invoiceSalesOrder"]
    assert invoice["errors"] == []
    assert invoice["invoice"]["untaxed"]["amount"] == "50.00"
    # All it delivered is invoiced: the cancelled rest is not owed.
    assert await invoice_status(sales_gql, shop, order["id"]) == "INVOICED"
    # Closed once: closing again is refused and changes nothing.
    result = await sales_gql(CLOSE, {"input": {"id": order["id"]}}, token=shop.token)
    assert [e["code"] for e in result["data"]["closeSalesOrder"]["errors"]] == ["INVALID_STATE"]
    assert await stock_of(runtime, shop, "widget") == (D(2), D(0), D(0))


async def invoice_status(gql: GraphQLClient, shop: Any, order_id: str) -> str:
    result = await gql(
        "query($id: ID!) { salesOrder(id: $id) { invoiceStatus } }",
        {"id": order_id},
        token=shop.token,
    )
    status: str = result["data"]["salesOrder"]["invoiceStatus"]
    return status


async def test_invoicing_the_delivered_part_then_closing_finishes_the_invoicing(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="4")
    order = await backordered_order(sales_gql, shop, "widget", "10")
    result = await sales_gql(DELIVER, {"input": {"id": order["id"]}}, token=shop.token)
    assert result["data"]["deliverSalesOrder"]["errors"] == []
    result = await sales_gql(INVOICE, {"input": {"id": order["id"]}}, token=shop.token)
    assert result["data"]["invoiceSalesOrder"]["errors"] == []
    assert await invoice_status(sales_gql, shop, order["id"]) == "PARTIALLY_INVOICED"
    result = await sales_gql(CLOSE, {"input": {"id": order["id"]}}, token=shop.token)
    assert result["data"]["closeSalesOrder"]["errors"] == []
    assert await invoice_status(sales_gql, shop, order["id"]) == "INVOICED"


async def test_close_refuses_an_order_with_nothing_delivered_and_cancel_drops_its_claims(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="1")
    order = await backordered_order(sales_gql, shop, "widget", "5")
    result = await sales_gql(CLOSE, {"input": {"id": order["id"]}}, token=shop.token)
    payload = result["data"]["closeSalesOrder"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("input.id", "INVALID_STATE")]
    assert await stock_of(runtime, shop, "widget") == (D(1), D(1), D(4))
    result = await sales_gql(CANCEL, {"input": {"id": order["id"]}}, token=shop.token)
    cancelled = result["data"]["cancelSalesOrder"]
    assert cancelled["errors"] == []
    assert D(cancelled["order"]["lines"][0]["backorderedQuantity"]) == 0
    assert await stock_of(runtime, shop, "widget") == (D(1), D(0), D(0))


async def test_another_tenants_order_cannot_be_closed(
    runtime: Runtime, sales_gql: GraphQLClient, tenant: TenantHandle
) -> None:
    shop = await make_shop(runtime, tenant, on_hand="4")
    order = await backordered_order(sales_gql, shop, "widget", "10")
    await sales_gql(DELIVER, {"input": {"id": order["id"]}}, token=shop.token)
    intruder = await make_shop(runtime, await make_tenant(runtime, "Intruder"))
    result = await sales_gql(CLOSE, {"input": {"id": order["id"]}}, token=intruder.token)
    payload = result["data"]["closeSalesOrder"]
    assert (payload["order"], [e["code"] for e in payload["errors"]]) == (None, ["NOT_FOUND"])
    result = await sales_gql(ORDER, {"id": order["id"]}, token=intruder.token)
    assert result["data"]["salesOrder"] is None
    assert await lines_of(sales_gql, shop, order["id"]) == [("10", "4", "6")]
    assert await stock_of(runtime, shop, "widget") == (D(0), D(0), D(6))
