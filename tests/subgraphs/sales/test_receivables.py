"""Issue 12 flow 11: due dates from the customer's payment terms, invoice dates within
rules, receivables aging, overdue invoices (GraphQL and `sales.api.overdue_invoices`)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.context import Runtime
from shared.errors import InvalidInput
from subgraphs.crm import api as crm
from subgraphs.sales import api as sales
from subgraphs.sales import deliveries, invoicing, orders
from tests.conftest import GraphQLClient, TenantHandle
from tests.subgraphs.sales.conftest import INVOICE, Shop, create_order, line

TODAY = dt.datetime.now(dt.UTC).date()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


async def customer_with_terms(runtime: Runtime, tenant: TenantHandle, days: int) -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        customer = await crm.create_customer(
            session,
            tenant.id,
            fields=crm.CustomerFields(
                name=f"Terms {days} {uuid.uuid4().hex[:4]}", payment_terms_days=days
            ),
            actor=tenant.admin_id,
        )
    return customer.id


async def invoiced_on(
    runtime: Runtime,
    shop: Shop,
    customer_id: uuid.UUID,
    day: dt.date,
    price: str,
    *,
    paid: tuple[str, dt.date] | None = None,
) -> tuple[uuid.UUID, str]:
    """One widget at `price` for `customer_id`, confirmed the day before `day`, delivered
    and invoiced on `day` (optionally partly paid), through the services."""
    tenant = shop.tenant.id
    async with runtime.db.transaction(tenant) as session:
        order = await orders.create_sales_order(
            session,
            tenant,
            customer_id=customer_id,
            lines=[orders.LineInput(shop.products["widget"], D(1), unit_price=D(price))],
            order_date=day - dt.timedelta(days=1),
        )
        await orders.confirm_sales_order(
            session,
            tenant,
            order.id,
            on=day - dt.timedelta(days=1),
            at=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC),
        )
        await deliveries.deliver_sales_order(session, tenant, order.id)
        invoice = await invoicing.invoice_sales_order(session, tenant, order.id, on=day)
        if paid is not None:
            await invoicing.register_payment(
                session, tenant, invoice.id, amount=D(paid[0]), on=paid[1]
            )
        # (read before the commit expires the row)
        return invoice.id, invoice.number


async def test_due_date_follows_the_customers_payment_terms(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    shop.customer_id = await customer_with_terms(runtime, shop.tenant, 14)
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    for name in ("confirmSalesOrder", "deliverSalesOrder"):
        kind = "Confirm" if name.startswith("confirm") else "Deliver"
        result = await sales_gql(
            f"mutation($input: {kind}SalesOrderInput!) {{ {name}(input: $input) "
            "{ errors { code } } }",
            {"input": {"id": order["id"]}},
            token=shop.token,
        )
        assert result["data"][name]["errors"] == []
    invoiced = await sales_gql(
        "mutation($input: SalesOrderIdInput!) { invoiceSalesOrder(input: $input) "
        "{ invoice { invoiceDate dueDate } errors { field code } } }",
        {"input": {"id": order["id"], "invoiceDate": str(TODAY)}},
        token=shop.token,
    )
    assert invoiced["data"]["invoiceSalesOrder"] == {
        "invoice": {"invoiceDate": str(TODAY), "dueDate": str(TODAY + dt.timedelta(days=14))},
        "errors": [],
    }


async def test_invoice_date_rules(runtime: Runtime, sales_gql: GraphQLClient, shop: Shop) -> None:
    tenant = shop.tenant.id
    await invoiced_on(runtime, shop, shop.customer_id, ago(10), "100")
    async with runtime.db.transaction(tenant) as session:
        order = await orders.create_sales_order(
            session,
            tenant,
            customer_id=shop.customer_id,
            lines=[orders.LineInput(shop.products["widget"], D(1))],
            order_date=ago(30),
        )
        await orders.confirm_sales_order(
            session, tenant, order.id, at=dt.datetime.combine(ago(20), dt.time(9), tzinfo=dt.UTC)
        )
        await deliveries.deliver_sales_order(session, tenant, order.id)
    order_id = str(order.id)
    for day, code in (
        (TODAY + dt.timedelta(days=1), "IN_THE_FUTURE"),
        (ago(21), "OUT_OF_RANGE"),  # before the order was confirmed
        (ago(11), "CLOSED_PERIOD"),  # before the invoice posted for ten days ago
    ):
        refused = await sales_gql(
            INVOICE, {"input": {"id": order_id, "invoiceDate": str(day)}}, token=shop.token
        )
        assert [
            (e["field"], e["code"]) for e in refused["data"]["invoiceSalesOrder"]["errors"]
        ] == [("input.invoiceDate", code)]
    ok = await sales_gql(
        INVOICE, {"input": {"id": order_id, "invoiceDate": str(ago(10))}}, token=shop.token
    )
    assert ok["data"]["invoiceSalesOrder"]["errors"] == []


AGING = """query($asOf: Date) { receivablesAging(asOf: $asOf) {
    asOf
    customers { customer { id } buckets { current { amount } days1To30 { amount }
        days31To60 { amount } days61To90 { amount } over90 { amount } total { amount } } }
    total { current { amount } days1To30 { amount } days31To60 { amount }
        days61To90 { amount } over90 { amount } total { amount currency } } } }"""


def buckets(*amounts: str) -> dict[str, Any]:
    names = ("current", "days1To30", "days31To60", "days61To90", "over90", "total")
    return {n: {"amount": a} for n, a in zip(names, amounts, strict=True)}


async def test_receivables_aging_and_overdue_invoices(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    tenant = shop.tenant.id
    other = await customer_with_terms(runtime, shop.tenant, 30)
    # Terms of 30 days: dated 200, 110, 80, 45 and 10 days ago they are 170, 80, 50, 15
    # days overdue and not yet due. Posted oldest first (the dates must not go back).
    _, oldest = await invoiced_on(runtime, shop, shop.customer_id, ago(200), "1000")
    await invoiced_on(runtime, shop, shop.customer_id, ago(110), "500", paid=("200", ago(90)))
    await invoiced_on(runtime, shop, other, ago(80), "40")
    await invoiced_on(runtime, shop, shop.customer_id, ago(45), "30")
    await invoiced_on(runtime, shop, shop.customer_id, ago(10), "20")
    await invoiced_on(runtime, shop, other, ago(5), "7", paid=("7", ago(4)))  # settled

    now = await sales_gql(AGING, {}, token=shop.token)
    first = {
        "customer": {"id": str(shop.customer_id)},
        "buckets": buckets("20.00", "30.00", "0.00", "300.00", "1000.00", "1350.00"),
    }
    second = {
        "customer": {"id": str(other)},
        "buckets": buckets("0.00", "0.00", "40.00", "0.00", "0.00", "40.00"),
    }
    total = buckets("20.00", "30.00", "40.00", "300.00", "1000.00", "1390.00")
    total["total"]["currency"] = "EUR"
    assert now["data"]["receivablesAging"] == {
        "asOf": str(TODAY),
        "customers": [first, second],
        "total": total,
    }

    # 100 days ago: the 200-day invoice was 70 days overdue, the 110-day one not yet due
    # and not yet partly paid (the payment is dated 90 days ago).
    then = await sales_gql(AGING, {"asOf": str(ago(100))}, token=shop.token)
    assert then["data"]["receivablesAging"]["customers"] == [
        {
            "customer": {"id": str(shop.customer_id)},
            "buckets": buckets("500.00", "0.00", "0.00", "1000.00", "0.00", "1500.00"),
        }
    ]

    listed = await sales_gql(
        "{ invoices(filter: {overdue: true}) { totalCount edges { node { number dueDate "
        "amountDue { amount } } } } }",
        token=shop.token,
    )
    assert [
        (e["node"]["dueDate"], e["node"]["amountDue"]["amount"])
        for e in listed["data"]["invoices"]["edges"]
    ] == [
        (str(ago(15)), "30.00"),
        (str(ago(50)), "40.00"),
        (str(ago(80)), "300.00"),
        (str(ago(170)), "1000.00"),
    ]

    async with runtime.db.transaction(tenant, readonly=True) as session:
        overdue = await sales.overdue_invoices(session, tenant, TODAY)
    head = overdue[0]
    assert (
        head.number,
        head.customer_id,
        head.due_date,
        head.amount_due,
        head.currency,
        head.days_overdue,
    ) == (oldest, shop.customer_id, ago(170), D("1000.0000"), "EUR", 170)
    assert [i.days_overdue for i in overdue] == [170, 80, 50, 15]


async def test_a_payment_may_not_predate_its_invoice(runtime: Runtime, shop: Shop) -> None:
    invoice, _ = await invoiced_on(runtime, shop, shop.customer_id, ago(3), "10")
    tenant = shop.tenant.id
    for day, code in (
        (dt.date(1999, 1, 1), "BEFORE_INVOICE_DATE"),
        (ago(4), "BEFORE_INVOICE_DATE"),
        (TODAY + dt.timedelta(days=1), "IN_THE_FUTURE"),
        (dt.date(1, 1, 1), "OUT_OF_RANGE"),
    ):
        with pytest.raises(InvalidInput) as refused:
            async with runtime.db.transaction(tenant) as session:
                await invoicing.register_payment(session, tenant, invoice, amount=D(1), on=day)
        assert [(p.field, p.code) for p in refused.value.problems] == [("on", code)]
    async with runtime.db.transaction(tenant, readonly=True) as session:
        fresh = await invoicing.get_invoice(session, tenant, invoice)
        assert fresh.amount_paid == 0


async def test_a_posted_due_date_cannot_be_rewritten(runtime: Runtime, shop: Shop) -> None:
    """The due date is part of the posted document: the database trigger guards it too."""
    invoice, _ = await invoiced_on(runtime, shop, shop.customer_id, ago(2), "10")
    tenant = shop.tenant.id
    with pytest.raises(DBAPIError, match="is posted and cannot be changed"):
        async with runtime.db.transaction(tenant) as session:
            await session.execute(
                text("update sales.invoice set due_date = due_date + 1 where id = :id"),
                {"id": invoice},
            )
