"""Purchases in the whole graph, through the router over HTTP: the acceptance flow from
request for quotation to payment, stock's figures beside purchases' on one product, and
statement counts that depend on the query's shape, not on how many orders it returns."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from nexo.graph import Graph, build_graph, in_process_transports
from router.app import create_router_app
from router.transport import Transport
from shared.context import Runtime
from subgraphs.purchases import api as purchases
from subgraphs.stock import api as stock
from tests.conftest import TenantHandle

from .conftest import (
    APPROVE,
    BILL_FIELDS,
    CONFIRM,
    CREATE,
    CREATE_BILL,
    PAY,
    RECEIVE,
    SEND,
    Buyer,
    add_supplier,
    line,
    make_buyer,
    set_policy,
    stock_of,
)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


@asynccontextmanager
async def router(graph: Graph, transports: dict[str, Transport]) -> AsyncIterator[Any]:
    app = create_router_app(graph.composition.supergraph_sdl, transports)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router"
    ) as client:
        yield client


class Client:
    """Posts GraphQL to the router over HTTP as one user."""

    def __init__(self, http: Any, token: str) -> None:
        self.http = http
        self.token = token

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def mutate(self, query: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        body = await self(query, input=input)
        assert "errors" not in body, body["errors"]
        payload: dict[str, Any] = body["data"][name]
        assert payload["errors"] == [], payload["errors"]
        return payload


PRODUCT = """
query($id: ID!) { purchaseOrder(id: $id) { status lines { product {
  sku cost stock { onHand available } incomingQuantity lastPurchaseCost { amount currency }
} } } }"""

SUPPLIERS = """
query($id: ID!) { product(id: $id) { sku suppliers {
  preferred supplier { name } prices { minQuantity price { amount } }
} } }"""


async def test_acceptance_rfq_to_payment_over_the_router(
    runtime: Runtime, graph: Graph, tenant: TenantHandle
) -> None:
    buyer = await make_buyer(runtime, tenant)
    widget, gadget = buyer.products["widget"], buyer.products["gadget"]
    await set_policy(runtime, tenant.id, threshold="500")
    async with runtime.db.transaction(tenant.id) as session:
        await stock.receive(
            session,
            tenant.id,
            source=None,
            lines=[stock.SupplyLine(widget, buyer.location_id, Decimal(10), Decimal(8))],
        )
    async with router(graph, in_process_transports(graph, runtime)) as http:
        purchasing, manager = Client(http, buyer.purchasing), Client(http, buyer.manager)

        # RFQ: 100 widgets on the 9.00 tier (+20% tax), 10 gadgets at 2.50.
        created = await purchasing.mutate(
            CREATE,
            "createPurchaseOrder",
            {
                "supplierId": str(buyer.supplier_id),
                "lines": [line(widget, "100", taxPercent="20"), line(gadget, "10")],
            },
        )
        order = created["order"]
        assert (order["status"], order["untaxed"]["amount"], order["total"]["amount"]) == (
            "RFQ",
            "925.00",
            "1105.00",
        )
        assert order["supplier"] == {"id": str(buyer.supplier_id), "name": "Acme Supply"}
        await purchasing.mutate(SEND, "sendPurchaseOrder", {"id": order["id"]})

        # Approval refused below the right role.
        refused = await purchasing(CONFIRM, input={"id": order["id"]})
        errors = refused["data"]["confirmPurchaseOrder"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("input.id", "APPROVAL_REQUIRED")]
        forbidden = await purchasing(APPROVE, input={"id": order["id"]})
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"

        approved = await manager.mutate(APPROVE, "approvePurchaseOrder", {"id": order["id"]})
        assert approved["order"]["approvalStatus"] == "APPROVED"
        confirmed = await purchasing.mutate(CONFIRM, "confirmPurchaseOrder", {"id": order["id"]})
        assert (confirmed["order"]["status"], confirmed["order"]["exchangeRate"]) == (
            "CONFIRMED",
            "1.00000000",
        )

        body = await purchasing(PRODUCT, id=order["id"])
        assert "errors" not in body, body
        before = body["data"]["purchaseOrder"]
        first_product = before["lines"][0]["product"]
        assert first_product["stock"] == {"onHand": "10.0000", "available": "10.0000"}
        assert first_product["cost"] == "8.0000"
        assert first_product["incomingQuantity"] == "100.0000"
        assert first_product["lastPurchaseCost"] is None
        sourcing = await purchasing(SUPPLIERS, id=str(widget))
        assert sourcing["data"]["product"]["suppliers"] == [
            {
                "preferred": False,
                "supplier": {"name": "Acme Supply"},
                "prices": [
                    {"minQuantity": "10.0000", "price": {"amount": "10.0000"}},
                    {"minQuantity": "100.0000", "price": {"amount": "9.0000"}},
                ],
            }
        ]

        # Partial receipt, then the rest.
        widget_line = order["lines"][0]["id"]
        partial = await purchasing.mutate(
            RECEIVE,
            "receivePurchaseOrder",
            {"id": order["id"], "lines": [{"lineId": widget_line, "quantity": "40"}]},
        )
        assert partial["order"]["status"] == "PARTIALLY_RECEIVED"
        middle = (await purchasing(PRODUCT, id=order["id"]))["data"]["purchaseOrder"]
        widget_now = middle["lines"][0]["product"]
        assert widget_now["stock"] == {"onHand": "50.0000", "available": "50.0000"}
        assert widget_now["cost"] == "8.8000"  # (10 x 8 + 40 x 9) / 50
        assert widget_now["incomingQuantity"] == "60.0000"
        assert widget_now["lastPurchaseCost"] == {"amount": "9.0000", "currency": "EUR"}

        rest = await purchasing.mutate(RECEIVE, "receivePurchaseOrder", {"id": order["id"]})
        assert rest["order"]["status"] == "RECEIVED"
        after = (await purchasing(PRODUCT, id=order["id"]))["data"]["purchaseOrder"]
        widget_after, gadget_after = (ln["product"] for ln in after["lines"])
        assert widget_after["stock"]["onHand"] == "110.0000"
        assert widget_after["cost"] == "8.9091"  # (50 x 8.8 + 60 x 9) / 110, rounded once
        assert widget_after["incomingQuantity"] == "0.0000"
        assert (gadget_after["stock"]["onHand"], gadget_after["cost"]) == ("10.0000", "2.5000")

        # The bill matches what was ordered and received.
        billed = await purchasing.mutate(
            CREATE_BILL,
            "createVendorBill",
            {"orderId": order["id"], "supplierReference": "ACME-2026-118"},
        )
        bill = billed["bill"]
        today = dt.date.today()
        assert (bill["status"], bill["holdReasons"]) == ("POSTED", [])
        assert (bill["untaxed"], bill["tax"], bill["total"]) == (
            {"amount": "925.00"},
            {"amount": "180.00"},
            {"amount": "1105.00", "currency": "EUR"},
        )
        assert bill["dueDate"] == (today + dt.timedelta(days=30)).isoformat()
        assert bill["order"]["billingStatus"] == "BILLED"

        # Payment in two parts.
        part = await purchasing.mutate(
            PAY, "payVendorBill", {"billId": bill["id"], "amount": "600.00"}
        )
        assert part["bill"]["amountDue"] == {"amount": "505.00"}
        assert part["bill"]["order"]["billingStatus"] == "BILLED"
        paid = await purchasing.mutate(
            PAY, "payVendorBill", {"billId": bill["id"], "amount": "505.00"}
        )
        assert (paid["bill"]["status"], paid["bill"]["amountDue"]) == ("PAID", {"amount": "0.00"})
        assert paid["bill"]["order"]["billingStatus"] == "PAID"

        final = await purchasing(
            "query($id: ID!) { purchaseOrder(id: $id) { status billingStatus approvedBy { id } "
            f"receipts {{ number lines {{ quantity }} }} bills {{ {BILL_FIELDS} }} }} }}",
            id=order["id"],
        )
        po = final["data"]["purchaseOrder"]
        assert (po["status"], po["billingStatus"]) == ("RECEIVED", "PAID")
        assert [[ln["quantity"] for ln in r["lines"]] for r in po["receipts"]] == [
            ["40.0000"],
            ["60.0000", "10.0000"],
        ]
        assert [b["number"] for b in po["bills"]] == [bill["number"]]
    assert await stock_of(runtime, tenant.id, widget) == (Decimal(110), Decimal("8.9091"))
    assert await stock_of(runtime, tenant.id, gadget) == (Decimal(10), Decimal("2.5000"))


COUNTED = """
query($first: Int!) { purchaseOrders(first: $first) { edges { node {
  number lines { quantity product { sku stock { available } incomingQuantity } } supplier { name }
} } } }"""


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def orders_for_counting(runtime: Runtime, buyer: Buyer) -> None:
    tenant = buyer.tenant.id
    rng = random.Random(13)
    suppliers = [buyer.supplier_id] + [
        await add_supplier(runtime, tenant, f"Supplier {i:02d}") for i in range(6)
    ]
    goods = [buyer.products["widget"], buyer.products["gadget"], buyer.products["service"]]
    async with runtime.db.transaction(tenant) as session:
        for i in range(55):
            await purchases.create_purchase_order(
                session,
                tenant,
                supplier_id=suppliers[i % len(suppliers)],
                lines=[
                    purchases.LineInput(
                        product_id=p, quantity=Decimal(rng.randint(1, 30)), unit_cost=Decimal(3)
                    )
                    for p in rng.sample(goods, rng.randint(1, 3))
                ],
            )


async def test_statement_count_depends_on_shape_not_rows(
    runtime: Runtime, graph: Graph, tenant: TenantHandle
) -> None:
    buyer = await make_buyer(runtime, tenant)
    await orders_for_counting(runtime, buyer)
    async with router(graph, in_process_transports(graph, runtime)) as http:
        client = Client(http, buyer.viewer)

        async def run(first: int) -> tuple[int, dict[str, Any]]:
            with statements(runtime) as seen:
                body = await client(COUNTED, first=first)
            assert "errors" not in body, body["errors"]
            return len(seen), body

        await run(1)  # warm caches (signing keys), which are not per request
        few, small = await run(5)
        many, large = await run(50)
    assert len(small["data"]["purchaseOrders"]["edges"]) == 5
    edges = large["data"]["purchaseOrders"]["edges"]
    assert len(edges) == 50
    assert len({e["node"]["supplier"]["name"] for e in edges}) == 7
    assert sum(len(e["node"]["lines"]) for e in edges) > 50
    assert all(ln["product"]["sku"] for e in edges for ln in e["node"]["lines"])
    print(f"statements: first 5 -> {few}, first 50 -> {many}")
    assert few == many, (few, many)
