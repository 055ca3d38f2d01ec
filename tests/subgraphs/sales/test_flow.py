"""The whole life of an order through the sales subgraph, asserted exactly at each step:
quotation -> confirm -> partial delivery -> rest -> invoice -> partial payment ->
payment -> return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from shared.context import Runtime
from subgraphs.sales.orders import line_amounts
from tests.conftest import GraphQLClient

from .conftest import (
    CONFIRM,
    DELIVER,
    INVOICE,
    PAY,
    RETURN,
    Shop,
    create_order,
    event_count,
    levels,
    line,
)

D = Decimal
YEAR = dt.datetime.now(dt.UTC).year


def amounts(order: dict[str, Any]) -> tuple[str, str, str]:
    return order["untaxed"]["amount"], order["tax"]["amount"], order["total"]["amount"]


def progress(order: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [
        (D(ln["deliveredQuantity"]), D(ln["returnedQuantity"]), D(ln["invoicedQuantity"]))
        for ln in order["lines"]
    ]


def test_line_rounding_is_half_up_to_cents_per_line() -> None:
    # 1.005 is exactly representable in Decimal: half-even would give 1.00.
    assert line_amounts(D(1), D("1.005"), D(0), D(0)) == (D("1.01"), D("0.00"), D("1.01"))
    assert line_amounts(D(7), D("3.33"), D(0), D(20)) == (D("23.31"), D("4.66"), D("27.97"))
    assert line_amounts(D(3), D("0.125"), D(0), D(10)) == (D("0.38"), D("0.04"), D("0.42"))


async def return_moves(runtime: Runtime, tenant: Any) -> list[tuple[str, str, Decimal]]:
    """The ledger entries of the order's return: whence, whither, how many."""
    async with runtime.db.transaction(tenant, readonly=True) as session:
        rows = await session.execute(
            text(
                "select f.kind, t.kind, m.quantity from stock.stock_move m "
                "join stock.location f on f.tenant_id = m.tenant_id and f.id = m.from_location_id "
                "join stock.location t on t.tenant_id = m.tenant_id and t.id = m.to_location_id "
                "where m.source_type = 'SalesReturn'"
            )
        )
        return [(a, b, D(q)) for a, b, q in rows]


async def test_quotation_to_return(runtime: Runtime, sales_gql: GraphQLClient, shop: Shop) -> None:
    tenant = shop.tenant.id
    widget, gadget, setup = (shop.products[k] for k in ("widget", "gadget", "setup"))
    vat = await sales_gql(
        'mutation { createTaxRate(input: {name: "VAT 20", percent: "20"}) '
        "{ taxRate { id percent } errors { code } } }",
        token=shop.token,
    )
    vat_id = vat["data"]["createTaxRate"]["taxRate"]["id"]

    # Quotation: prices default to the product's, amounts rounded per line.
    order = await create_order(
        sales_gql,
        shop,
        [
            line(widget, "10", discountPercent="10", taxRateId=vat_id),
            line(gadget, "7", taxRateId=vat_id),
            line(setup, "1"),
        ],
    )
    assert order["number"] == f"SO-{YEAR}-00001"
    assert (order["status"], order["invoiceStatus"]) == ("QUOTATION", "NOT_INVOICED")
    assert [amounts(ln) for ln in order["lines"]] == [
        ("112.50", "22.50", "135.00"),
        ("23.31", "4.66", "27.97"),
        ("80.00", "0.00", "80.00"),
    ]
    assert amounts(order) == ("215.81", "27.16", "242.97")
    assert await levels(runtime, tenant, widget) == (D(100), D(0))
    widget_line, gadget_line, setup_line = (ln["id"] for ln in order["lines"])

    # Confirm: every stockable line reserved; the service line needs no stock.
    confirmed = (await sales_gql(CONFIRM, {"input": {"id": order["id"]}}, token=shop.token))[
        "data"
    ]["confirmSalesOrder"]
    assert confirmed["errors"] == []
    assert confirmed["order"]["status"] == "CONFIRMED"
    assert D(confirmed["order"]["exchangeRate"]) == 1
    assert await levels(runtime, tenant, widget) == (D(100), D(10))
    assert await levels(runtime, tenant, gadget) == (D(100), D(7))

    # Partial delivery: 4 widgets leave, their reservation with them.
    partial = (
        await sales_gql(
            DELIVER,
            {"input": {"id": order["id"], "lines": [{"lineId": widget_line, "quantity": "4"}]}},
            token=shop.token,
        )
    )["data"]["deliverSalesOrder"]
    assert partial["errors"] == []
    assert partial["order"]["status"] == "PARTIALLY_DELIVERED"
    assert progress(partial["order"]) == [(D(4), 0, 0), (0, 0, 0), (0, 0, 0)]
    assert await levels(runtime, tenant, widget) == (D(96), D(6))
    assert await levels(runtime, tenant, gadget) == (D(100), D(7))

    # The rest: everything still open, and the service line with the goods.
    rest = (await sales_gql(DELIVER, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "deliverSalesOrder"
    ]
    assert rest["errors"] == []
    assert rest["order"]["status"] == "DELIVERED"
    assert progress(rest["order"]) == [(D(10), 0, 0), (D(7), 0, 0), (D(1), 0, 0)]
    assert await levels(runtime, tenant, widget) == (D(90), D(0))
    assert await levels(runtime, tenant, gadget) == (D(93), D(0))

    # Invoice what was delivered.
    invoiced = (await sales_gql(INVOICE, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "invoiceSalesOrder"
    ]
    assert invoiced["errors"] == []
    invoice = invoiced["invoice"]
    assert (invoice["number"], invoice["kind"], invoice["status"]) == (
        f"INV-{YEAR}-00001",
        "INVOICE",
        "POSTED",
    )
    assert amounts(invoice) == ("215.81", "27.16", "242.97")
    assert invoice["amountDue"]["amount"] == "242.97"
    again = (await sales_gql(INVOICE, {"input": {"id": order["id"]}}, token=shop.token))["data"][
        "invoiceSalesOrder"
    ]
    assert [e["code"] for e in again["errors"]] == ["NOTHING_TO_INVOICE"]

    # Partial payment, then the rest.
    paid = (
        await sales_gql(
            PAY, {"input": {"invoiceId": invoice["id"], "amount": "100.00"}}, token=shop.token
        )
    )["data"]["registerPayment"]
    assert paid["errors"] == []
    assert paid["invoice"]["status"] == "POSTED"
    assert paid["invoice"]["paidAt"] is None
    assert (paid["invoice"]["amountPaid"]["amount"], paid["invoice"]["amountDue"]["amount"]) == (
        "100.00",
        "142.97",
    )
    assert await event_count(runtime, tenant, "invoice.paid") == 0
    paid = (
        await sales_gql(
            PAY, {"input": {"invoiceId": invoice["id"], "amount": "142.97"}}, token=shop.token
        )
    )["data"]["registerPayment"]
    assert paid["errors"] == []
    assert paid["invoice"]["status"] == "PAID"
    assert paid["invoice"]["paidAt"] is not None
    assert paid["invoice"]["amountDue"]["amount"] == "0.00"
    state = await sales_gql(
        "query($id: ID!) { salesOrder(id: $id) { status invoiceStatus "
        "invoices { number status } } }",
        {"id": order["id"]},
        token=shop.token,
    )
    assert state["data"]["salesOrder"] == {
        "status": "DELIVERED",
        "invoiceStatus": "PAID",
        "invoices": [{"number": f"INV-{YEAR}-00001", "status": "PAID"}],
    }

    # Return 3 resellable widgets: back in stock, and credited at the invoiced price.
    returned = (
        await sales_gql(
            RETURN,
            {
                "input": {
                    "orderId": order["id"],
                    "lines": [{"lineId": widget_line, "quantity": "3"}],
                    "reason": "Wrong size ordered",
                    "condition": "RESELLABLE",
                }
            },
            token=shop.token,
        )
    )["data"]["returnSalesOrder"]
    assert returned["errors"] == []
    credit = returned["creditNote"]
    assert (credit["number"], credit["kind"]) == (f"CN-{YEAR}-00001", "CREDIT_NOTE")
    assert amounts(credit) == ("33.75", "6.75", "40.50")
    assert progress(returned["order"]) == [(D(10), D(3), D(7)), (D(7), 0, D(7)), (D(1), 0, D(1))]
    # The company owes the customer the credit note until it is refunded or applied.
    assert returned["order"]["invoiceStatus"] == "REFUND_DUE"
    assert await levels(runtime, tenant, widget) == (D(93), D(0))
    assert await levels(runtime, tenant, gadget) == (D(93), D(0))
    assert await return_moves(runtime, tenant) == [("CUSTOMER", "STOCK", D(3))]
    del gadget_line, setup_line

    assert {
        t: await event_count(runtime, tenant, t)
        for t in ("order.confirmed", "order.delivered", "invoice.posted", "invoice.paid")
    } == {"order.confirmed": 1, "order.delivered": 2, "invoice.posted": 2, "invoice.paid": 1}
