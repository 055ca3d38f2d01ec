"""Replenishment to purchase and purchase analytics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.purchases import api as purchases
from subgraphs.purchases.models import PurchaseOrder
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient

from .conftest import (
    RECEIVE,
    Buyer,
    add_price,
    add_product,
    add_supplier,
    confirmed_order,
    count,
    line,
    ok,
)

FROM_SUGGESTIONS = """
mutation($input: CreatePurchaseOrdersFromSuggestionsInput!) {
  createPurchaseOrdersFromSuggestions(input: $input) {
    orders { number status supplier { name } lines { quantity unitCost product { id } } }
    skipped { product { id } quantity supplier { id } }
    errors { field code message }
  }
}"""

INCOMING = """
query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Product { incomingQuantity } } }"""


async def rule(runtime: Runtime, buyer: Buyer, product: Any, low: str, high: str) -> None:
    async with runtime.db.transaction(buyer.tenant.id) as session:
        await stock.set_reorder_rule(
            session,
            buyer.tenant.id,
            product_id=product,
            warehouse_id=buyer.warehouse_id,
            min_quantity=Decimal(low),
            max_quantity=Decimal(high),
        )


async def test_suggestions_become_rfqs_per_supplier_and_a_second_run_creates_none(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    tenant = buyer.tenant.id
    widget, gadget = buyer.products["widget"], buyer.products["gadget"]
    bolt = await add_product(runtime, tenant, name="Bolt")  # nobody sells it
    gizmo = await add_supplier(runtime, tenant, "Gizmo Parts")
    await add_price(
        runtime, tenant, gizmo, gadget, "2.20", min_quantity=Decimal(10), order_multiple=Decimal(10)
    )
    async with runtime.db.transaction(tenant) as session:
        await purchases.set_preferred_supplier(
            session, tenant, product_id=gadget, supplier_id=gizmo
        )
    # Widgets: 12 available, up to 100 wanted; gadgets: none, up to 25; bolts: up to 5.
    async with runtime.db.transaction(tenant) as session:
        await stock.receive(
            session,
            tenant,
            source=None,
            lines=[stock.SupplyLine(widget, buyer.location_id, Decimal(12), Decimal(8))],
        )
    await rule(runtime, buyer, widget, "20", "100")
    await rule(runtime, buyer, gadget, "5", "25")
    await rule(runtime, buyer, bolt, "1", "5")

    first = await ok(
        gql, FROM_SUGGESTIONS, {}, buyer.purchasing, "createPurchaseOrdersFromSuggestions"
    )
    made = sorted(first["orders"], key=lambda o: o["supplier"]["name"])
    assert [(o["status"], o["supplier"]["name"]) for o in made] == [
        ("RFQ", "Acme Supply"),
        ("RFQ", "Gizmo Parts"),
    ]
    # 88 widgets rounded to the supplier's multiple of 10 (the 10.00 tier); 25 gadgets to 30.
    assert made[0]["lines"] == [
        {"quantity": "90.0000", "unitCost": "10.0000", "product": {"id": str(widget)}}
    ]
    assert made[1]["lines"] == [
        {"quantity": "30.0000", "unitCost": "2.2000", "product": {"id": str(gadget)}}
    ]
    assert first["skipped"] == [
        {"product": {"id": str(bolt)}, "quantity": "5.0000", "supplier": None}
    ]

    again = await ok(
        gql, FROM_SUGGESTIONS, {}, buyer.purchasing, "createPurchaseOrdersFromSuggestions"
    )
    assert again["orders"] == []
    assert await count(runtime, tenant, PurchaseOrder) == 2

    reps = [{"__typename": "Product", "id": str(p)} for p in (widget, gadget, bolt)]
    incoming = await gql(INCOMING, {"reps": reps}, token=buyer.viewer)
    assert incoming["data"]["_entities"] == [
        {"incomingQuantity": "90.0000"},
        {"incomingQuantity": "30.0000"},
        {"incomingQuantity": "0.0000"},
    ]
    left = await gql(
        "{ purchaseSuggestions { product { id } quantity incomingQuantity supplier { name } } }",
        token=buyer.viewer,
    )
    assert left["data"]["purchaseSuggestions"] == [
        {
            "product": {"id": str(bolt)},
            "quantity": "5.0000",
            "incomingQuantity": "0.0000",
            "supplier": None,
        }
    ]
    unknown = await gql(
        FROM_SUGGESTIONS,
        {"input": {"warehouseId": str(buyer.supplier_id)}},
        token=buyer.purchasing,
    )
    errors = unknown["data"]["createPurchaseOrdersFromSuggestions"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("input.warehouseId", "NOT_FOUND")]


ANALYTICS = """
query($from: Date!, $to: Date!, $by: PurchaseAnalyticsGroupBy!) {
  purchaseAnalytics(from: $from, to: $to, groupBy: $by) {
    key spend { amount currency } quantity orderCount averageLeadTimeDays
    priceVariance { amount } priceVariancePercent supplier { name } product { id } period
  }
}"""


async def test_purchase_analytics_spend_lead_time_and_price_variance(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    widget, gadget = buyer.products["widget"], buyer.products["gadget"]
    today = dt.date.today()
    ordered = today - dt.timedelta(days=4)
    # 20 widgets at 10.50 against a 10.00 list price; 10 gadgets at list (2.50).
    order = await confirmed_order(
        gql,
        buyer,
        [line(widget, "20", unitCost="10.50"), line(gadget, "10")],
        orderDate=ordered.isoformat(),
    )
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    await confirmed_order(gql, buyer, [line(gadget, "4")], orderDate=ordered.isoformat())
    span = {"from": (today - dt.timedelta(days=30)).isoformat(), "to": today.isoformat()}

    by_supplier = await gql(ANALYTICS, {**span, "by": "SUPPLIER"}, token=buyer.viewer)
    assert "errors" not in by_supplier, by_supplier
    assert by_supplier["data"]["purchaseAnalytics"] == [
        {
            "key": str(buyer.supplier_id),
            "spend": {"amount": "245.00", "currency": "EUR"},  # 210 + 25 + 10
            "quantity": "34.0000",
            "orderCount": 2,
            "averageLeadTimeDays": "4.00",
            "priceVariance": {"amount": "10.00"},  # 20 x 0.50
            "priceVariancePercent": "4.26",  # 10 / 235
            "supplier": {"name": "Acme Supply"},
            "product": None,
            "period": None,
        }
    ]
    by_product = await gql(ANALYTICS, {**span, "by": "PRODUCT"}, token=buyer.viewer)
    rows = by_product["data"]["purchaseAnalytics"]
    assert [
        (r["product"]["id"], r["spend"]["amount"], r["priceVariance"]["amount"]) for r in rows
    ] == [
        (str(widget), "210.00", "10.00"),
        (str(gadget), "35.00", "0.00"),
    ]
    by_period = await gql(ANALYTICS, {**span, "by": "PERIOD"}, token=buyer.viewer)
    periods = by_period["data"]["purchaseAnalytics"]
    assert [p["period"] for p in periods] == [ordered.replace(day=1).isoformat()]
    backwards = await gql(
        ANALYTICS, {"from": span["to"], "to": span["from"], "by": "PERIOD"}, token=buyer.viewer
    )
    assert backwards["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
