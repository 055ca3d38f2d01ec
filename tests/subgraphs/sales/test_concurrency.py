"""Concurrent requests, each on its own connection: competition for the last units,
gapless invoice numbers, and idempotency keys (replay, conflict, one key raced)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.context import Runtime
from shared.db import TenantId
from subgraphs.sales import deliveries, invoicing
from subgraphs.sales import orders as sales
from subgraphs.sales.models import Invoice, Payment, SalesOrder, SalesReturn
from tests.conftest import GraphQLClient

from .conftest import (
    CONFIRM,
    CREATE,
    DELIVER,
    INVOICE,
    PAY,
    RETURN,
    Shop,
    add_product,
    create_order,
    levels,
    line,
    receive,
)

D = Decimal
YEAR = dt.datetime.now(dt.UTC).year


async def quotations(
    runtime: Runtime, shop: Shop, product: uuid.UUID, count: int, quantity: str = "1"
) -> list[uuid.UUID]:
    tenant = shop.tenant.id
    async with runtime.db.transaction(tenant) as session:
        return [
            (
                await sales.create_sales_order(
                    session,
                    tenant,
                    customer_id=shop.customer_id,
                    lines=[sales.LineInput(product_id=product, quantity=Decimal(quantity))],
                )
            ).id
            for _ in range(count)
        ]


async def order_count(runtime: Runtime, tenant: TenantId, status: str | None = None) -> int:
    async with runtime.db.transaction(tenant, readonly=True) as session:
        stmt = select(func.count()).select_from(SalesOrder)
        if status is not None:
            stmt = stmt.where(SalesOrder.status == status)
        return int(await session.scalar(stmt) or 0)


async def test_twenty_confirmations_compete_for_the_last_five_units(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    tenant = shop.tenant.id
    scarce = await add_product(runtime, tenant, name="Scarce", price="9.90")
    await receive(runtime, tenant, scarce, shop.location_id, "5")
    orders = await quotations(runtime, shop, scarce, 20)

    results = await asyncio.gather(
        *(sales_gql(CONFIRM, {"input": {"id": str(o)}}, token=shop.token) for o in orders)
    )
    payloads = [r["data"]["confirmSalesOrder"] for r in results]
    confirmed = [p for p in payloads if p["order"] is not None]
    refused = [p for p in payloads if p["order"] is None]
    assert len(confirmed) == 5
    assert all(p["order"]["status"] == "CONFIRMED" for p in confirmed)
    assert len(refused) == 15
    for p in refused:
        assert [e["code"] for e in p["errors"]] == ["INSUFFICIENT_STOCK"]
        assert "Scarce" in p["errors"][0]["message"]
    assert await levels(runtime, tenant, scarce) == (Decimal(5), Decimal(5))
    assert await order_count(runtime, tenant, "CONFIRMED") == 5
    assert await order_count(runtime, tenant, "QUOTATION") == 15


async def test_fifty_concurrent_invoices_are_numbered_without_gap_or_duplicate(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    tenant = shop.tenant.id
    widget = shop.products["widget"]
    orders = await quotations(runtime, shop, widget, 50)
    async with runtime.db.transaction(tenant) as session:
        for o in orders:
            await sales.confirm_sales_order(session, tenant, o)
            await deliveries.deliver_sales_order(session, tenant, o)

    results = await asyncio.gather(
        *(sales_gql(INVOICE, {"input": {"id": str(o)}}, token=shop.token) for o in orders)
    )
    payloads = [r["data"]["invoiceSalesOrder"] for r in results]
    assert all(p["errors"] == [] for p in payloads)
    numbers = sorted(p["invoice"]["number"] for p in payloads)
    assert numbers == [f"INV-{YEAR}-{n:05d}" for n in range(1, 51)]


async def test_a_rolled_back_invoice_gives_its_number_back(runtime: Runtime, shop: Shop) -> None:
    """What a sequence would not do: the counter row is part of the transaction."""
    tenant = shop.tenant.id
    (order,) = await quotations(runtime, shop, shop.products["widget"], 1)
    async with runtime.db.transaction(tenant) as session:
        await sales.confirm_sales_order(session, tenant, order)
        await deliveries.deliver_sales_order(session, tenant, order)

    class Abort(Exception):
        pass

    taken: list[str] = []

    async def invoice_then_abort() -> None:
        async with runtime.db.transaction(tenant) as session:
            taken.append((await invoicing.invoice_sales_order(session, tenant, order)).number)
            raise Abort

    with pytest.raises(Abort):
        await invoice_then_abort()
    assert taken == [f"INV-{YEAR}-00001"]
    async with runtime.db.transaction(tenant) as session:
        invoice = await invoicing.invoice_sales_order(session, tenant, order)
    assert invoice.number == f"INV-{YEAR}-00001"


def created(result: dict[str, Any]) -> dict[str, Any]:
    payload = result["data"]["createSalesOrder"]
    assert payload["errors"] == [], payload
    return dict(payload["order"])


async def test_idempotency_key_replays_and_conflicts(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    tenant = shop.tenant.id
    widget = shop.products["widget"]
    request = {"input": {"customerId": str(shop.customer_id), "lines": [line(widget, "2")]}}
    key = {"idempotency-key": f"create-{uuid.uuid4()}"}

    first = created(await sales_gql(CREATE, request, token=shop.token, headers=key))
    again = created(await sales_gql(CREATE, request, token=shop.token, headers=key))
    assert again["id"] == first["id"]
    assert again["number"] == first["number"]
    assert await order_count(runtime, tenant) == 1

    changed = {"input": {**request["input"], "lines": [line(widget, "3")]}}
    conflict = await sales_gql(CREATE, changed, token=shop.token, headers=key)
    assert conflict["data"] is None
    assert conflict["errors"][0]["extensions"]["code"] == "CONFLICT"
    other_operation = await sales_gql(
        CONFIRM, {"input": {"id": first["id"]}}, token=shop.token, headers=key
    )
    assert other_operation["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert await order_count(runtime, tenant) == 1
    assert await levels(runtime, tenant, widget) == (Decimal(100), Decimal(0))

    # A confirmation replayed reserves once; without the key it would be refused.
    confirm_key = {"idempotency-key": f"confirm-{uuid.uuid4()}"}
    for _ in range(2):
        payload = (
            await sales_gql(
                CONFIRM, {"input": {"id": first["id"]}}, token=shop.token, headers=confirm_key
            )
        )["data"]["confirmSalesOrder"]
        assert payload["errors"] == []
        assert payload["order"]["status"] == "CONFIRMED"
    assert await levels(runtime, tenant, widget) == (Decimal(100), Decimal(2))

    # A delivery and an invoice replayed happen once.
    for operation, name in ((DELIVER, "deliverSalesOrder"), (INVOICE, "invoiceSalesOrder")):
        once = {"idempotency-key": f"{name}-{uuid.uuid4()}"}
        replies = [
            (
                await sales_gql(
                    operation, {"input": {"id": first["id"]}}, token=shop.token, headers=once
                )
            )["data"][name]
            for _ in range(2)
        ]
        assert replies[0] == replies[1]
        assert replies[1]["errors"] == []
    assert await levels(runtime, tenant, widget) == (Decimal(98), Decimal(0))
    async with runtime.db.transaction(tenant, readonly=True) as session:
        invoices = (await session.scalars(select(Invoice))).all()
        assert [i.number for i in invoices] == [f"INV-{YEAR}-00001"]
        invoice_id = invoices[0].id

    # A payment replayed is recorded once.
    pay_key = {"idempotency-key": f"pay-{uuid.uuid4()}"}
    pay = {"input": {"invoiceId": str(invoice_id), "amount": "10.00"}}
    paid = [
        (await sales_gql(PAY, pay, token=shop.token, headers=pay_key))["data"]["registerPayment"]
        for _ in range(2)
    ]
    assert paid[0]["payment"]["id"] == paid[1]["payment"]["id"]
    assert paid[1]["invoice"]["amountPaid"]["amount"] == "10.00"
    async with runtime.db.transaction(tenant, readonly=True) as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_return_replayed_with_its_key_happens_once(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    """returnSalesOrder honours the key too: the replay answers the same return and credit
    note; the key with other input is a CONFLICT."""
    tenant = shop.tenant.id
    widget = shop.products["widget"]
    (order,) = await quotations(runtime, shop, widget, 1, quantity="4")
    async with runtime.db.transaction(tenant) as session:
        await sales.confirm_sales_order(session, tenant, order)
        await deliveries.deliver_sales_order(session, tenant, order)
        await invoicing.invoice_sales_order(session, tenant, order)
        (widget_line,) = await sales.order_lines(session, tenant, order)
    request = {
        "input": {
            "orderId": str(order),
            "lines": [{"lineId": str(widget_line.id), "quantity": "1"}],
            "reason": "Damaged in transit",
        }
    }
    key = {"idempotency-key": f"return-{uuid.uuid4()}"}
    replies = [
        (await sales_gql(RETURN, request, token=shop.token, headers=key))["data"][
            "returnSalesOrder"
        ]
        for _ in range(2)
    ]
    assert replies[0]["errors"] == []
    assert replies[0]["creditNote"]["kind"] == "CREDIT_NOTE"
    assert replies[1] == replies[0]
    assert [D(ln["returnedQuantity"]) for ln in replies[1]["order"]["lines"]] == [D(1)]
    async with runtime.db.transaction(tenant, readonly=True) as session:
        assert await session.scalar(select(func.count()).select_from(SalesReturn)) == 1
        kinds = (await session.scalars(select(Invoice.kind).order_by(Invoice.number))).all()
        assert sorted(kinds) == ["CREDIT_NOTE", "INVOICE"]
    assert await levels(runtime, tenant, widget) == (D(97), D(0))

    other = {"input": {**request["input"], "reason": "Wrong size"}}
    conflict = await sales_gql(RETURN, other, token=shop.token, headers=key)
    assert conflict["data"] is None
    assert conflict["errors"][0]["extensions"]["code"] == "CONFLICT"
    async with runtime.db.transaction(tenant, readonly=True) as session:
        assert await session.scalar(select(func.count()).select_from(SalesReturn)) == 1
    assert await levels(runtime, tenant, widget) == (D(97), D(0))


async def test_a_failed_request_leaves_its_key_free(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    key = {"idempotency-key": f"create-{uuid.uuid4()}"}
    bad = {"input": {"customerId": str(shop.customer_id), "lines": [line(uuid.uuid4(), "1")]}}
    failed = (await sales_gql(CREATE, bad, token=shop.token, headers=key))["data"]
    assert [e["code"] for e in failed["createSalesOrder"]["errors"]] == ["NOT_FOUND"]
    good = {
        "input": {
            "customerId": str(shop.customer_id),
            "lines": [line(shop.products["widget"], "1")],
        }
    }
    # Another input under the same key is fine: the failed attempt stored nothing.
    created(await sales_gql(CREATE, good, token=shop.token, headers=key))
    assert await order_count(runtime, shop.tenant.id) == 1


async def test_two_concurrent_requests_with_one_key_execute_once(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    request = {
        "input": {
            "customerId": str(shop.customer_id),
            "lines": [line(shop.products["gadget"], "1")],
        }
    }
    for attempt in range(3):
        key = {"idempotency-key": f"race-{attempt}-{uuid.uuid4()}"}
        results = await asyncio.gather(
            *(sales_gql(CREATE, request, token=shop.token, headers=key) for _ in range(2))
        )
        ids = {created(r)["id"] for r in results}
        assert len(ids) == 1
    assert await order_count(runtime, shop.tenant.id) == 3


async def test_numbering_restarts_per_tenant(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop, other_tenant: Any
) -> None:
    from .conftest import make_shop

    other = await make_shop(runtime, other_tenant)
    mine = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    theirs = await create_order(sales_gql, other, [line(other.products["widget"], "1")])
    assert mine["number"] == theirs["number"] == f"SO-{YEAR}-00001"
