"""Issue 12 finding 6: confirmation checks the customer's credit limit (open invoices +
booked orders not yet invoiced + this order, in base currency), unless a caller with
`sales:override_credit` says so."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D
from typing import Any

from shared.context import Runtime
from subgraphs.crm import api as crm
from tests.conftest import GraphQLClient, TenantHandle, token_for
from tests.subgraphs.sales.conftest import (
    CONFIRM,
    DELIVER,
    INVOICE,
    PAY,
    Shop,
    create_order,
    levels,
    line,
)

RATE = """mutation($input: SetExchangeRateInput!) { setExchangeRate(input: $input) {
    errors { field code } } }"""


async def limited_customer(
    runtime: Runtime, tenant: TenantHandle, limit: str, currency: str = "EUR"
) -> uuid.UUID:
    async with runtime.db.transaction(tenant.id) as session:
        customer = await crm.create_customer(
            session,
            tenant.id,
            fields=crm.CustomerFields(
                name=f"Limited {uuid.uuid4().hex[:6]}", currency=currency, credit_limit=D(limit)
            ),
            actor=tenant.admin_id,
        )
    return customer.id


async def confirm(gql: GraphQLClient, order_id: str, token: str, **extra: Any) -> dict[str, Any]:
    result = await gql(CONFIRM, {"input": {"id": order_id, **extra}}, token=token)
    return dict(result["data"]["confirmSalesOrder"])


async def test_an_order_over_the_limit_is_refused_and_changes_nothing(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    shop.customer_id = await limited_customer(runtime, shop.tenant, "50000")
    widget = shop.products["widget"]
    order = await create_order(sales_gql, shop, [line(widget, "10", unitPrice="7800")])
    refused = await confirm(sales_gql, order["id"], shop.token)
    assert refused == {
        "order": None,
        "errors": [
            {
                "field": "input.id",
                "code": "CREDIT_LIMIT_EXCEEDED",
                "message": "Credit limit 50,000.00 EUR; exposure with this order 78,000.00 EUR,"
                " 28,000.00 EUR over the limit",
            }
        ],
    }
    assert await levels(runtime, shop.tenant.id, widget) == (D(100), D(0))
    state = await sales_gql(
        "query($id: ID!) { salesOrder(id: $id) { status } }", {"id": order["id"]}, token=shop.token
    )
    assert state["data"]["salesOrder"] == {"status": "QUOTATION"}

    # The flag without the permission is refused, not ignored.
    flagged = await confirm(sales_gql, order["id"], shop.token, overrideCreditLimit=True)
    assert [(e["field"], e["code"]) for e in flagged["errors"]] == [
        ("input.overrideCreditLimit", "FORBIDDEN")
    ]
    assert await levels(runtime, shop.tenant.id, widget) == (D(100), D(0))

    # A manager holds sales:override_credit; without the flag even they are refused.
    manager = await token_for(runtime, shop.tenant, "manager")
    plain = await confirm(sales_gql, order["id"], manager)
    assert [e["code"] for e in plain["errors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    overridden = await confirm(sales_gql, order["id"], manager, overrideCreditLimit=True)
    assert overridden["errors"] == []
    assert overridden["order"]["status"] == "CONFIRMED"
    assert await levels(runtime, shop.tenant.id, widget) == (D(100), D(10))


async def test_exposure_counts_open_invoices_and_orders_not_yet_invoiced(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    shop.customer_id = await limited_customer(runtime, shop.tenant, "1000")
    widget = shop.products["widget"]
    first = await create_order(sales_gql, shop, [line(widget, "10", unitPrice="50")])
    assert (await confirm(sales_gql, first["id"], shop.token))["errors"] == []
    # 4 of 10 delivered and invoiced (200.00 due), 100.00 paid: 100 due + 300 to invoice.
    await sales_gql(
        DELIVER,
        {
            "input": {
                "id": first["id"],
                "lines": [{"lineId": first["lines"][0]["id"], "quantity": "4"}],
            }
        },
        token=shop.token,
    )
    invoice = (await sales_gql(INVOICE, {"input": {"id": first["id"]}}, token=shop.token))["data"][
        "invoiceSalesOrder"
    ]["invoice"]
    assert invoice["total"]["amount"] == "200.00"
    paid = await sales_gql(
        PAY, {"input": {"invoiceId": invoice["id"], "amount": "100"}}, token=shop.token
    )
    assert paid["data"]["registerPayment"]["errors"] == []

    over = await create_order(sales_gql, shop, [line(widget, "1", unitPrice="600.01")])
    refused = await confirm(sales_gql, over["id"], shop.token)
    assert refused["errors"] == [
        {
            "field": "input.id",
            "code": "CREDIT_LIMIT_EXCEEDED",
            "message": "Credit limit 1,000.00 EUR; exposure with this order 1,000.01 EUR,"
            " 0.01 EUR over the limit",
        }
    ]
    exact = await create_order(sales_gql, shop, [line(widget, "1", unitPrice="600")])
    assert (await confirm(sales_gql, exact["id"], shop.token))["errors"] == []
    # A cancelled order no longer counts: the limit is free again for its value.
    cancel = await sales_gql(
        "mutation($input: SalesOrderIdInput!) { cancelSalesOrder(input: $input) "
        "{ errors { code } } }",
        {"input": {"id": exact["id"]}},
        token=shop.token,
    )
    assert cancel["data"]["cancelSalesOrder"]["errors"] == []
    again = await create_order(sales_gql, shop, [line(widget, "1", unitPrice="600")])
    assert (await confirm(sales_gql, again["id"], shop.token))["errors"] == []


async def test_the_limit_is_in_the_customers_currency(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    """CRM's credit limit is Money in the customer's currency: 1,000 USD at 0.90 is 900 EUR."""
    today = dt.datetime.now(dt.UTC).date()
    await sales_gql(
        RATE, {"input": {"currency": "USD", "date": str(today), "rate": "0.9"}}, token=shop.token
    )
    shop.customer_id = await limited_customer(runtime, shop.tenant, "1000", currency="USD")
    order = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "1", unitPrice="1100")]
    )
    assert order["currency"] == "USD"
    refused = await confirm(sales_gql, order["id"], shop.token)
    assert refused["errors"] == [
        {
            "field": "input.id",
            "code": "CREDIT_LIMIT_EXCEEDED",
            "message": "Credit limit 900.00 EUR; exposure with this order 990.00 EUR,"
            " 90.00 EUR over the limit",
        }
    ]
    within = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "1", unitPrice="1000")]
    )
    assert (await confirm(sales_gql, within["id"], shop.token))["errors"] == []


async def test_a_customer_without_a_limit_is_not_checked(
    sales_gql: GraphQLClient, shop: Shop
) -> None:
    order = await create_order(
        sales_gql, shop, [line(shop.products["widget"], "1", unitPrice="9999999")]
    )
    assert (await confirm(sales_gql, order["id"], shop.token))["errors"] == []
