"""Sales rules through the subgraph: bad input is refused with payload errors and changes
nothing; backorders, exchange rates and cancellation; tenant isolation and permissions;
posted invoices are immutable; the figures and analytics are right."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.codes import Code
from shared.context import Runtime
from shared.errors import InvalidInput, Problem
from subgraphs.sales import deliveries, invoicing
from subgraphs.sales import orders as sales
from subgraphs.sales.models import Invoice, Payment, SalesOrder, SalesReturn
from tests.conftest import GraphQLClient, TenantHandle

from .conftest import (
    CONFIRM,
    CREATE,
    DELIVER,
    INVOICE,
    PAY,
    RETURN,
    Shop,
    add_customer,
    create_order,
    event_count,
    levels,
    line,
    make_shop,
    token_for,
)

D = Decimal


async def counts(runtime: Runtime, shop: Shop) -> dict[str, int]:
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        return {
            m.__tablename__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (SalesOrder, Invoice, Payment, SalesReturn)
        }


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def delivered_order(runtime: Runtime, shop: Shop, quantity: str = "5") -> uuid.UUID:
    tenant = shop.tenant.id
    async with runtime.db.transaction(tenant) as session:
        order = await sales.create_sales_order(
            session,
            tenant,
            customer_id=shop.customer_id,
            lines=[
                sales.LineInput(product_id=shop.products["widget"], quantity=D(quantity)),
                sales.LineInput(product_id=shop.products["setup"], quantity=D(1)),
            ],
        )
        await sales.confirm_sales_order(session, tenant, order.id)
        await deliveries.deliver_sales_order(session, tenant, order.id)
    return order.id


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([{"quantity": "-2"}], [("input.lines.0.quantity", "MUST_BE_POSITIVE")]),
        ([{"quantity": "0"}], [("input.lines.0.quantity", "MUST_BE_POSITIVE")]),
        ([{"discountPercent": "150"}], [("input.lines.0.discountPercent", "OUT_OF_RANGE")]),
        ([{"unitPrice": "-1"}], [("input.lines.0.unitPrice", "NEGATIVE")]),
        ([{"quantity": "1.00001"}], [("input.lines.0.quantity", "TOO_PRECISE")]),
        ([{"unitPrice": "0.00001"}], [("input.lines.0.unitPrice", "TOO_PRECISE")]),
        ([{"productId": str(uuid.uuid4())}], [("input.lines.0.productId", "NOT_FOUND")]),
        ([{"taxRateId": str(uuid.uuid4())}], [("input.lines.0.taxRateId", "NOT_FOUND")]),
        ([], [("input.lines", "REQUIRED")]),
    ],
)
async def test_bad_lines_are_refused_and_nothing_is_written(
    runtime: Runtime,
    sales_gql: GraphQLClient,
    shop: Shop,
    lines: list[dict[str, Any]],
    expected: list[tuple[str, str]],
) -> None:
    request = [{**line(shop.products["widget"], "1"), **ln} for ln in lines]
    result = await sales_gql(
        CREATE, {"input": {"customerId": str(shop.customer_id), "lines": request}}, token=shop.token
    )
    payload = result["data"]["createSalesOrder"]
    assert payload["order"] is None
    assert codes(payload) == expected
    assert await counts(runtime, shop) == {
        "sales_order": 0,
        "invoice": 0,
        "payment": 0,
        "sales_return": 0,
    }


async def test_same_mistake_same_code_and_message(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    """Currencies and decimal places are checked as everywhere else (shared Checks)."""
    bad_currency = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(shop.customer_id),
                "currency": "EURO",
                "lines": [line(shop.products["widget"], "1.00001")],
            }
        },
        token=shop.token,
    )
    assert bad_currency["data"]["createSalesOrder"]["errors"] == [
        {
            "field": "input.currency",
            "code": "INVALID_CURRENCY",
            "message": "An ISO 4217 code such as EUR",
        },
        {
            "field": "input.lines.0.quantity",
            "code": "TOO_PRECISE",
            "message": "At most 4 decimal places",
        },
    ]
    rate = """mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) {
        exchangeRate { rate } errors { field code message } } }"""
    bad_rate = await sales_gql(
        rate, {"input": {"currency": "U$D", "date": "2026-01-02", "rate": "0"}}, token=shop.token
    )
    assert bad_rate["data"]["setExchangeRate"] == {
        "exchangeRate": None,
        "errors": [
            {
                "field": "input.currency",
                "code": "INVALID_CURRENCY",
                "message": "An ISO 4217 code such as EUR",
            },
            {
                "field": "input.rate",
                "code": "MUST_BE_POSITIVE",
                "message": "Must be greater than 0",
            },
        ],
    }
    order_id = await delivered_order(runtime, shop, "1")
    async with runtime.db.transaction(shop.tenant.id) as session:
        invoice = await invoicing.invoice_sales_order(session, shop.tenant.id, order_id)
    cents = (
        await sales_gql(
            PAY, {"input": {"invoiceId": str(invoice.id), "amount": "1.005"}}, token=shop.token
        )
    )["data"]["registerPayment"]
    assert cents["errors"] == [
        {"field": "input.amount", "code": "TOO_PRECISE", "message": "At most 2 decimal places"}
    ]
    assert (await counts(runtime, shop))["payment"] == 0


async def test_unknown_ids_in_mutations_are_not_found_and_write_nothing(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    unknown = str(uuid.uuid4())
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    before = await counts(runtime, shop)
    calls = [
        (
            CREATE,
            "createSalesOrder",
            {
                "customerId": str(shop.customer_id),
                "warehouseId": unknown,
                "lines": [line(shop.products["widget"], "1")],
            },
            "input.warehouseId",
        ),
        (
            "mutation($input: UpdateSalesOrderInput!) { updateSalesOrder(input: $input) "
            "{ errors { field code message } } }",
            "updateSalesOrder",
            {"id": unknown, "notes": "x"},
            "input.id",
        ),
        (
            "mutation($input: SalesOrderIdInput!) { sendSalesOrder(input: $input) "
            "{ errors { field code message } } }",
            "sendSalesOrder",
            {"id": unknown},
            "input.id",
        ),
        (CONFIRM, "confirmSalesOrder", {"id": unknown}, "input.id"),
        (DELIVER, "deliverSalesOrder", {"id": unknown}, "input.id"),
        (
            "mutation($input: SalesOrderIdInput!) { cancelSalesOrder(input: $input) "
            "{ errors { field code message } } }",
            "cancelSalesOrder",
            {"id": unknown},
            "input.id",
        ),
        (INVOICE, "invoiceSalesOrder", {"id": unknown}, "input.id"),
        (PAY, "registerPayment", {"invoiceId": unknown, "amount": "1"}, "input.invoiceId"),
        (
            RETURN,
            "returnSalesOrder",
            {"orderId": unknown, "lines": [{"lineId": unknown, "quantity": "1"}], "reason": "x"},
            "input.orderId",
        ),
        (
            RETURN,
            "returnSalesOrder",
            {
                "orderId": order["id"],
                "lines": [{"lineId": unknown, "quantity": "1"}],
                "reason": "x",
            },
            "input.lines.0.lineId",
        ),
    ]
    for query, name, variables, field in calls:
        result = await sales_gql(query, {"input": variables}, token=shop.token)
        assert "errors" not in result, (name, result)
        assert [(e["field"], e["code"]) for e in result["data"][name]["errors"]] == [
            (field, "NOT_FOUND")
        ], (name, result)
    assert await counts(runtime, shop) == before
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(0))


async def test_unknown_or_archived_customer(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    unknown = await sales_gql(
        CREATE,
        {"input": {"customerId": str(uuid.uuid4()), "lines": [line(shop.products["widget"], "1")]}},
        token=shop.token,
    )
    assert codes(unknown["data"]["createSalesOrder"]) == [("input.customerId", "NOT_FOUND")]
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    from subgraphs.crm import api as crm

    async with runtime.db.transaction(shop.tenant.id) as session:
        await crm.set_customer_status(
            session, shop.tenant.id, customer_id=shop.customer_id, archived=True
        )
    refused = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "confirmSalesOrder"
    ]
    assert codes(refused) == [("input.id", "CUSTOMER_ARCHIVED")]
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(0))


async def test_only_quotations_are_editable(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "2")])
    update = """mutation($input: UpdateSalesOrderInput!) { updateSalesOrder(input: $input) {
        order { total { amount } lines { quantity } } errors { field code } } }"""
    edited = (
        await sales_gql(
            update,
            {"input": {"id": order["id"], "lines": [line(shop.products["widget"], "4")]}},
            token=shop.token,
        )
    )["data"]["updateSalesOrder"]
    assert edited["errors"] == []
    assert edited["order"]["total"]["amount"] == "50.00"
    await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token)
    refused = (
        await sales_gql(
            update,
            {"input": {"id": order["id"], "lines": [line(shop.products["widget"], "9")]}},
            token=shop.token,
        )
    )["data"]["updateSalesOrder"]
    assert codes(refused) == [("input.id", "NOT_EDITABLE")]
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        lines = await sales.order_lines(session, shop.tenant.id, uuid.UUID(order["id"]))
        assert [ln.quantity for ln in lines] == [D(4)]


async def test_delivery_rules(runtime: Runtime, sales_gql: GraphQLClient, shop: Shop) -> None:
    order = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "3"), line(shop.products["setup"], "1")]
    )
    await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token)
    widget_line, setup_line = (ln["id"] for ln in order["lines"])
    for lines, expected in [
        ([{"lineId": setup_line, "quantity": "1"}], ("input.lines.0.lineId", "NOT_STOCKABLE")),
        ([{"lineId": widget_line, "quantity": "4"}], ("input.lines.0.quantity", "EXCEEDS_ORDERED")),
        (
            [{"lineId": widget_line, "quantity": "-1"}],
            ("input.lines.0.quantity", "MUST_BE_POSITIVE"),
        ),
        ([{"lineId": str(uuid.uuid4()), "quantity": "1"}], ("input.lines.0.lineId", "NOT_FOUND")),
    ]:
        payload = (
            await sales_gql(
                DELIVER, {"input": {"id": order["id"], "lines": lines}}, token=shop.token
            )
        )["data"]["deliverSalesOrder"]
        assert codes(payload) == [expected]
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(3))


async def test_overpayment_and_excess_return_change_nothing(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    order_id = await delivered_order(runtime, shop)
    async with runtime.db.transaction(shop.tenant.id) as session:
        invoice = await invoicing.invoice_sales_order(session, shop.tenant.id, order_id)
    assert invoice.total == D("142.50")  # 5 x 12.50 + 80
    before = await counts(runtime, shop)
    over = (
        await sales_gql(
            PAY, {"input": {"invoiceId": str(invoice.id), "amount": "142.51"}}, token=shop.token
        )
    )["data"]["registerPayment"]
    assert codes(over) == [("input.amount", "OVERPAYMENT")]
    assert "142.5 EUR" in over["errors"][0]["message"]
    widget_line = (await _lines(runtime, shop, order_id))[0]
    too_many = (
        await sales_gql(
            RETURN,
            {
                "input": {
                    "orderId": str(order_id),
                    "lines": [{"lineId": str(widget_line), "quantity": "6"}],
                    "reason": "Wrong size",
                }
            },
            token=shop.token,
        )
    )["data"]["returnSalesOrder"]
    assert codes(too_many) == [("input.lines.0.quantity", "RETURN_EXCEEDS_DELIVERED")]
    assert await counts(runtime, shop) == before
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(95), D(0))
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        again = await invoicing.get_invoice(session, shop.tenant.id, invoice.id)
        assert again.amount_paid == 0


async def _lines(runtime: Runtime, shop: Shop, order_id: uuid.UUID) -> list[uuid.UUID]:
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        return [ln.id for ln in await sales.order_lines(session, shop.tenant.id, order_id)]


async def test_shortfall_names_products_unless_backorder(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    order = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "130"), line(shop.products["gadget"], "5")]
    )
    short = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "confirmSalesOrder"
    ]
    assert [e["code"] for e in short["errors"]] == ["INSUFFICIENT_STOCK"]
    assert "Widget" in short["errors"][0]["message"]
    assert "130 needed, 100 available" in short["errors"][0]["message"]
    assert await levels(runtime, shop.tenant.id, shop.products["gadget"]) == (D(100), D(0))
    # The order's own writes go before the reservation: a shortfall takes them back too.
    async with runtime.db.transaction(shop.tenant.id, readonly=True) as session:
        still = await sales.get_order(session, shop.tenant.id, uuid.UUID(order["id"]))
        assert (still.status, still.confirmed_at, still.exchange_rate) == (
            "QUOTATION",
            None,
            None,
        )
    assert await event_count(runtime, shop.tenant.id, "order.confirmed") == 0

    backorder = (
        await sales_gql(
            CONFIRM, {"input": {"id": order["id"], "allowBackorder": True}}, token=shop.token
        )
    )["data"]["confirmSalesOrder"]
    assert backorder["errors"] == []
    assert backorder["order"]["status"] == "CONFIRMED"
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(100))
    assert await levels(runtime, shop.tenant.id, shop.products["gadget"]) == (D(100), D(5))

    cancel = """mutation($id: ID!) { cancelSalesOrder(input: {id: $id}) {
        order { status } errors { code } } }"""
    cancelled = (await sales_gql(cancel, {"id": order["id"]}, token=shop.token))["data"]
    assert cancelled["cancelSalesOrder"]["order"]["status"] == "CANCELLED"
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(0))
    assert await levels(runtime, shop.tenant.id, shop.products["gadget"]) == (D(100), D(0))

    delivered = await delivered_order(runtime, shop, "1")
    refused = (await sales_gql(cancel, {"id": str(delivered)}, token=shop.token))["data"]
    assert [e["code"] for e in refused["cancelSalesOrder"]["errors"]] == ["ALREADY_DELIVERED"]


async def test_exchange_rate_is_fixed_at_confirmation(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    shop.customer_id = await add_customer(runtime, shop.tenant, "Yankee Inc", currency="USD")
    # A price in USD given: the EUR product price would need the missing rate already.
    order = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "2", unitPrice="12.50")]
    )
    assert order["currency"] == "USD"
    missing = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "confirmSalesOrder"
    ]
    assert codes(missing) == [("input.id", "EXCHANGE_RATE_MISSING")]
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(0))
    rate = """mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) {
        exchangeRate { rate } errors { field code } } }"""
    today = dt.datetime.now(dt.UTC).date()
    bad = await sales_gql(
        rate, {"input": {"currency": "EUR", "date": str(today), "rate": "1"}}, token=shop.token
    )
    assert codes(bad["data"]["setExchangeRate"]) == [("input.currency", "BASE_CURRENCY")]
    for day, value in [(today - dt.timedelta(days=3), "0.9100"), (today, "0.9250")]:
        await sales_gql(
            rate, {"input": {"currency": "USD", "date": str(day), "rate": value}}, token=shop.token
        )
    confirmed = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token))[
        "data"
    ]["confirmSalesOrder"]
    assert confirmed["errors"] == []
    assert D(confirmed["order"]["exchangeRate"]) == D("0.925")
    await sales_gql(
        rate, {"input": {"currency": "USD", "date": str(today), "rate": "2"}}, token=shop.token
    )
    figures = await sales_gql(
        "query($id: ID!) { salesOrder(id: $id) { exchangeRate customer { orderCount "
        "lifetimeValue { amount currency } } } }",
        {"id": order["id"]},
        token=shop.token,
    )
    assert figures["data"]["salesOrder"] == {
        "exchangeRate": "0.92500000",
        "customer": {
            "orderCount": 1,
            "lifetimeValue": {"amount": "23.13", "currency": "EUR"},  # 25 USD x 0.925
        },
    }


async def test_tenant_isolation(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop, other_tenant: TenantHandle
) -> None:
    order = await create_order(sales_gql, shop, [line(shop.products["widget"], "1")])
    other = await make_shop(runtime, other_tenant)
    seen = await sales_gql(
        "query($id: ID!) { salesOrder(id: $id) { id } salesOrders { totalCount } }",
        {"id": order["id"]},
        token=other.token,
    )
    assert seen["data"] == {"salesOrder": None, "salesOrders": {"totalCount": 0}}
    confirm = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=other.token))["data"][
        "confirmSalesOrder"
    ]
    assert codes(confirm) == [("input.id", "NOT_FOUND")]
    foreign = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(other.customer_id),
                "lines": [line(shop.products["widget"], "1")],
            }
        },
        token=other.token,
    )
    assert codes(foreign["data"]["createSalesOrder"]) == [("input.lines.0.productId", "NOT_FOUND")]
    assert await levels(runtime, shop.tenant.id, shop.products["widget"]) == (D(100), D(0))


async def test_permissions(runtime: Runtime, sales_gql: GraphQLClient, shop: Shop) -> None:
    viewer = await token_for(runtime, shop.tenant, "viewer")
    readable = await sales_gql("{ salesOrders { totalCount } }", token=viewer)
    assert readable["data"] == {"salesOrders": {"totalCount": 0}}
    refused = await sales_gql(
        CREATE,
        {
            "input": {
                "customerId": str(shop.customer_id),
                "lines": [line(shop.products["widget"], "1")],
            }
        },
        token=viewer,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    production = await token_for(runtime, shop.tenant, "production")
    hidden = await sales_gql("{ salesOrders { totalCount } }", token=production)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await sales_gql("{ salesOrders { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await counts(runtime, shop))["sales_order"] == 0


async def test_posted_invoices_are_immutable(
    runtime: Runtime, shop: Shop, owner_engine: AsyncEngine
) -> None:
    order_id = await delivered_order(runtime, shop, "1")
    async with runtime.db.transaction(shop.tenant.id) as session:
        invoice = await invoicing.invoice_sales_order(session, shop.tenant.id, order_id)
    for statement in (
        "update sales.invoice set total = 1 where id = :id",
        "delete from sales.invoice where id = :id",
        "update sales.invoice_line set quantity = 9 where invoice_id = :id",
    ):
        with pytest.raises(DBAPIError, match="cannot be changed"):
            async with owner_engine.begin() as conn:
                await conn.execute(text(statement), {"id": invoice.id})


async def test_pipeline_and_analytics(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    tenant = shop.tenant.id
    other_customer = await add_customer(runtime, shop.tenant, "Second Buyer")
    jan, feb = dt.date(2026, 1, 15), dt.date(2026, 2, 3)
    async with runtime.db.transaction(tenant) as session:
        for customer, day, quantity in [
            (shop.customer_id, jan, 2),
            (shop.customer_id, feb, 4),
            (other_customer, feb, 1),
        ]:
            order = await sales.create_sales_order(
                session,
                tenant,
                customer_id=customer,
                order_date=day,
                lines=[sales.LineInput(shop.products["widget"], D(quantity))],
            )
            await sales.confirm_sales_order(session, tenant, order.id, on=day)
        await sales.create_sales_order(
            session,
            tenant,
            customer_id=other_customer,
            order_date=feb,
            lines=[sales.LineInput(shop.products["gadget"], D(3))],
        )
    result = await sales_gql(
        """query {
          salesPipeline { state count amount { amount } }
          salesAnalytics(input: {from: "2026-01-01", to: "2026-03-31", interval: MONTH}) {
            period revenue { amount currency } quantity orderCount averageOrderValue { amount } }
          byCustomer: salesAnalytics(input: {from: "2026-01-01", to: "2026-03-31",
                                             interval: MONTH, groupBy: CUSTOMER}) {
            period customer { id } revenue { amount } }
          topProducts(from: "2026-01-01", to: "2026-12-31") { product { id } quantity revenue { amount } }
          topCustomers(from: "2026-02-01", to: "2026-02-28") { customer { id } orderCount revenue { amount } }
          product: salesOrders(filter: {search: "00001"}) { edges { node { lines {
            product { salesStats(from: "2026-02-01") { quantity revenue { amount } orderCount } } } } } }
        }""",
        token=shop.token,
    )
    assert "errors" not in result, result["errors"]
    data = result["data"]
    pipeline = {p["state"]: (p["count"], p["amount"]["amount"]) for p in data["salesPipeline"]}
    assert pipeline["CONFIRMED"] == (3, "87.50")
    assert pipeline["QUOTATION"] == (1, "9.99")
    assert pipeline["CANCELLED"] == (0, "0.00")
    assert data["salesAnalytics"] == [
        {
            "period": "2026-01-01",
            "revenue": {"amount": "25.00", "currency": "EUR"},
            "quantity": "2.0000",
            "orderCount": 1,
            "averageOrderValue": {"amount": "25.00"},
        },
        {
            "period": "2026-02-01",
            "revenue": {"amount": "62.50", "currency": "EUR"},
            "quantity": "5.0000",
            "orderCount": 2,
            "averageOrderValue": {"amount": "31.25"},
        },
    ]
    assert sorted(
        (b["period"], b["customer"]["id"], b["revenue"]["amount"]) for b in data["byCustomer"]
    ) == sorted(
        [
            ("2026-01-01", str(shop.customer_id), "25.00"),
            ("2026-02-01", str(shop.customer_id), "50.00"),
            ("2026-02-01", str(other_customer), "12.50"),
        ]
    )
    assert data["topProducts"] == [
        {
            "product": {"id": str(shop.products["widget"])},
            "quantity": "7.0000",
            "revenue": {"amount": "87.50"},
        }
    ]
    assert data["topCustomers"] == [
        {
            "customer": {"id": str(shop.customer_id)},
            "orderCount": 1,
            "revenue": {"amount": "50.00"},
        },
        {"customer": {"id": str(other_customer)}, "orderCount": 1, "revenue": {"amount": "12.50"}},
    ]
    stats = data["product"]["edges"][0]["node"]["lines"][0]["product"]["salesStats"]
    assert stats == {"quantity": "5.0000", "revenue": {"amount": "62.50"}, "orderCount": 2}


def test_stock_problems_are_rerooted_onto_the_callers_lines() -> None:
    """Stock names the lines it was given; sales names its own input's lines (or the order
    when the caller named none)."""
    stock_says = InvalidInput(
        [
            Problem("lines.0.quantity", Code.MUST_BE_POSITIVE, "Must be greater than 0"),
            Problem("lines.1.productId", Code.NOT_STOCKABLE, "Only stockable products"),
            Problem("lines.7.quantity", Code.TOO_PRECISE, "At most 4 decimal places"),
            Problem(None, Code.INSUFFICIENT_STOCK, "Short"),
        ]
    )
    moved = sales.onto_lines(stock_says, [2, 0], "orderId")
    assert [(p.field, p.code) for p in moved.problems] == [
        ("lines.2.quantity", Code.MUST_BE_POSITIVE),
        ("lines.0.lineId", Code.NOT_STOCKABLE),
        ("orderId", Code.TOO_PRECISE),
        ("orderId", Code.INSUFFICIENT_STOCK),
    ]
    collapsed = sales.onto_lines(stock_says, (), "orderId")
    assert {p.field for p in collapsed.problems} == {"orderId"}
    assert [p.message for p in collapsed.problems] == [p.message for p in stock_says.problems]
