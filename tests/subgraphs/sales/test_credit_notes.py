"""Issue 12 finding 7 and flow 10: credit notes are refunded or applied to an open
invoice of the same customer; the order is REFUND_DUE, not PAID, while the company owes
the customer; lifetime value and analytics are net of returns. Returns go to STOCK,
QUALITY or SCRAP by their condition."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal as D
from typing import Any

from shared.context import Runtime
from subgraphs.stock import api as stock
from tests.conftest import GraphQLClient, TenantHandle, token_for
from tests.subgraphs.sales.conftest import (
    CONFIRM,
    DELIVER,
    INVOICE,
    PAY,
    RETURN,
    Shop,
    add_customer,
    create_order,
    line,
    make_shop,
)

TODAY = dt.datetime.now(dt.UTC).date()
APPLY = """mutation($input: ApplyCreditNoteInput!) { applyCreditNote(input: $input) {
    application { amount { amount currency } date }
    creditNote { status amountPaid { amount } amountDue { amount }
                 creditApplications { amount { amount } invoice { number } } }
    invoice { number status amountDue { amount } }
    errors { field code message } } }"""
REFUND = """mutation($input: RefundCreditNoteInput!) { refundCreditNote(input: $input) {
    refund { kind amount { amount } date }
    creditNote { status amountDue { amount } payments { kind amount { amount } } }
    errors { field code message } } }"""
STATUS = "query($id: ID!) { salesOrder(id: $id) { invoiceStatus } }"


async def sold(gql: GraphQLClient, shop: Shop, quantity: str) -> tuple[dict[str, Any], str]:
    """An order of `quantity` widgets at 12.50, delivered and invoiced: (order, invoice id)."""
    order = await create_order(gql, shop, [line(shop.products["widget"], quantity)])
    for mutation, name in ((CONFIRM, "confirmSalesOrder"), (DELIVER, "deliverSalesOrder")):
        result = await gql(mutation, {"input": {"id": order["id"]}}, token=shop.token)
        assert result["data"][name]["errors"] == []
    invoiced = await gql(INVOICE, {"input": {"id": order["id"]}}, token=shop.token)
    return order, invoiced["data"]["invoiceSalesOrder"]["invoice"]["id"]


async def give_back(
    gql: GraphQLClient, shop: Shop, order: dict[str, Any], quantity: str, **extra: Any
) -> dict[str, Any]:
    result = await gql(
        RETURN,
        {
            "input": {
                "orderId": order["id"],
                "lines": [{"lineId": order["lines"][0]["id"], "quantity": quantity}],
                "reason": "Bent in transit",
                **extra,
            }
        },
        token=shop.token,
    )
    payload = result["data"]["returnSalesOrder"]
    assert payload["errors"] == [], payload["errors"]
    return dict(payload)


async def by_kind(runtime: Runtime, tenant: uuid.UUID, product: uuid.UUID) -> dict[str, D]:
    async with runtime.db.transaction(tenant, readonly=True) as session:  # type: ignore[arg-type]
        rows = (await stock.levels_by_product(session, tenant, [product])).get(product, [])  # type: ignore[arg-type]
    return {str(r.kind): r.on_hand for r in rows if r.on_hand}


async def invoice_status(gql: GraphQLClient, shop: Shop, order: dict[str, Any]) -> str:
    result = await gql(STATUS, {"id": order["id"]}, token=shop.token)
    return str(result["data"]["salesOrder"]["invoiceStatus"])


async def test_returns_go_where_their_condition_says(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    widget = shop.products["widget"]
    order, _ = await sold(sales_gql, shop, "10")
    await give_back(sales_gql, shop, order, "4", condition="DAMAGED")
    await give_back(sales_gql, shop, order, "2")  # no condition: inspect first
    await give_back(sales_gql, shop, order, "1", condition="RESELLABLE")
    assert await by_kind(runtime, shop.tenant.id, widget) == {
        "STOCK": D(91),
        "QUALITY": D(2),
        "SCRAP": D(4),
    }


async def test_applying_a_credit_note_to_another_invoice(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    first, first_invoice = await sold(sales_gql, shop, "10")
    paid = await sales_gql(
        PAY, {"input": {"invoiceId": first_invoice, "amount": "125"}}, token=shop.token
    )
    assert paid["data"]["registerPayment"]["invoice"]["status"] == "PAID"
    assert await invoice_status(sales_gql, shop, first) == "PAID"
    returned = await give_back(sales_gql, shop, first, "4", condition="DAMAGED")
    note = returned["creditNote"]
    assert (note["total"]["amount"], note["amountDue"]["amount"]) == ("50.00", "50.00")
    # The company owes the customer 50.00: the order is not PAID.
    assert returned["order"]["invoiceStatus"] == "REFUND_DUE"

    second, second_invoice = await sold(sales_gql, shop, "5")
    too_much = await sales_gql(
        APPLY,
        {"input": {"creditNoteId": note["id"], "invoiceId": second_invoice, "amount": "50.01"}},
        token=shop.token,
    )
    assert too_much["data"]["applyCreditNote"]["errors"] == [
        {
            "field": "input.amount",
            "code": "OVERPAYMENT",
            "message": "Only 50 EUR is due on this invoice",
        }
    ]
    applied = await sales_gql(
        APPLY,
        {"input": {"creditNoteId": note["id"], "invoiceId": second_invoice, "amount": "50"}},
        token=shop.token,
    )
    year = TODAY.year
    assert applied["data"]["applyCreditNote"] == {
        "application": {"amount": {"amount": "50.00", "currency": "EUR"}, "date": str(TODAY)},
        "creditNote": {
            "status": "PAID",
            "amountPaid": {"amount": "50.00"},
            "amountDue": {"amount": "0.00"},
            "creditApplications": [
                {"amount": {"amount": "50.00"}, "invoice": {"number": f"INV-{year}-00002"}}
            ],
        },
        "invoice": {
            "number": f"INV-{year}-00002",
            "status": "POSTED",
            "amountDue": {"amount": "12.50"},  # 62.50 less the 50.00 credit
        },
        "errors": [],
    }
    assert await invoice_status(sales_gql, shop, first) == "PAID"
    assert await invoice_status(sales_gql, shop, second) == "INVOICED"

    # Net of the return: 125.00 - 50.00 + 62.50, and 10 - 4 + 5 widgets.
    figures = await sales_gql(
        """query($from: Date!, $to: Date!) {
          topCustomers { revenue { amount } }
          topProducts { revenue { amount } quantity }
          salesAnalytics(input: {from: $from, to: $to, interval: MONTH}) { revenue { amount } quantity }
        }""",
        {"from": str(TODAY.replace(day=1)), "to": str(TODAY)},
        token=shop.token,
    )
    assert figures["data"] == {
        "topCustomers": [{"revenue": {"amount": "137.50"}}],
        "topProducts": [{"revenue": {"amount": "137.50"}, "quantity": "11.0000"}],
        "salesAnalytics": [{"revenue": {"amount": "137.50"}, "quantity": "11.0000"}],
    }


async def test_refunding_a_credit_note(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    order, invoice = await sold(sales_gql, shop, "10")
    await sales_gql(PAY, {"input": {"invoiceId": invoice, "amount": "125"}}, token=shop.token)
    note = (await give_back(sales_gql, shop, order, "2", condition="DAMAGED"))["creditNote"]
    part = await sales_gql(
        REFUND, {"input": {"creditNoteId": note["id"], "amount": "10"}}, token=shop.token
    )
    assert part["data"]["refundCreditNote"] == {
        "refund": {"kind": "REFUND", "amount": {"amount": "10.00"}, "date": str(TODAY)},
        "creditNote": {
            "status": "POSTED",
            "amountDue": {"amount": "15.00"},
            "payments": [{"kind": "REFUND", "amount": {"amount": "10.00"}}],
        },
        "errors": [],
    }
    assert await invoice_status(sales_gql, shop, order) == "REFUND_DUE"
    rest = await sales_gql(
        REFUND, {"input": {"creditNoteId": note["id"], "amount": "15"}}, token=shop.token
    )
    assert rest["data"]["refundCreditNote"]["creditNote"]["status"] == "PAID"
    assert await invoice_status(sales_gql, shop, order) == "PAID"
    again = await sales_gql(
        REFUND, {"input": {"creditNoteId": note["id"], "amount": "1"}}, token=shop.token
    )
    assert [e["code"] for e in again["data"]["refundCreditNote"]["errors"]] == ["ALREADY_PAID"]
    # An invoice is not refunded; a credit note takes no payment.
    wrong = await sales_gql(
        REFUND, {"input": {"creditNoteId": invoice, "amount": "1"}}, token=shop.token
    )
    assert [(e["field"], e["code"]) for e in wrong["data"]["refundCreditNote"]["errors"]] == [
        ("input.creditNoteId", "INVALID_STATE")
    ]

    lifetime = await sales_gql(
        """query($id: ID!) { salesOrder(id: $id) { customer { lifetimeValue { amount } } } }""",
        {"id": order["id"]},
        token=shop.token,
    )
    assert lifetime["data"]["salesOrder"]["customer"]["lifetimeValue"] == {"amount": "100.00"}


async def test_credit_goes_only_to_the_same_customer_and_currency(
    runtime: Runtime, sales_gql: GraphQLClient, shop: Shop
) -> None:
    order, invoice = await sold(sales_gql, shop, "10")
    note = (await give_back(sales_gql, shop, order, "2", condition="DAMAGED"))["creditNote"]
    shop.customer_id = await add_customer(runtime, shop.tenant, "Other Buyer")
    _, others = await sold(sales_gql, shop, "1")
    refused = await sales_gql(
        APPLY,
        {"input": {"creditNoteId": note["id"], "invoiceId": others, "amount": "5"}},
        token=shop.token,
    )
    assert [(e["field"], e["code"]) for e in refused["data"]["applyCreditNote"]["errors"]] == [
        ("input.invoiceId", "OTHER_CUSTOMER")
    ]
    # A credit note is not an invoice to apply to.
    onto_note = await sales_gql(
        APPLY,
        {"input": {"creditNoteId": note["id"], "invoiceId": note["id"], "amount": "5"}},
        token=shop.token,
    )
    assert [e["code"] for e in onto_note["data"]["applyCreditNote"]["errors"]] == ["NOT_PAYABLE"]
    after = await sales_gql(
        "query($id: ID!) { invoice(id: $id) { amountDue { amount } creditApplications { id } } }",
        {"id": note["id"]},
        token=shop.token,
    )
    assert after["data"]["invoice"] == {"amountDue": {"amount": "25.00"}, "creditApplications": []}
    del invoice


async def test_another_tenants_credit_note_is_not_found(
    runtime: Runtime,
    sales_gql: GraphQLClient,
    shop: Shop,
    other_tenant: TenantHandle,
) -> None:
    order, invoice = await sold(sales_gql, shop, "10")
    note = (await give_back(sales_gql, shop, order, "2", condition="DAMAGED"))["creditNote"]
    other = await make_shop(runtime, other_tenant)
    outsider = await token_for(runtime, other_tenant, "accountant")
    for mutation, name, input in (
        (REFUND, "refundCreditNote", {"creditNoteId": note["id"], "amount": "1"}),
        (
            APPLY,
            "applyCreditNote",
            {"creditNoteId": note["id"], "invoiceId": invoice, "amount": "1"},
        ),
    ):
        result = await sales_gql(mutation, {"input": input}, token=outsider)
        assert [(e["field"], e["code"]) for e in result["data"][name]["errors"]] == [
            ("input.creditNoteId", "NOT_FOUND")
        ]
    still = await sales_gql(
        "query($id: ID!) { invoice(id: $id) { amountDue { amount } } }",
        {"id": note["id"]},
        token=shop.token,
    )
    assert still["data"]["invoice"] == {"amountDue": {"amount": "25.00"}}
    del other
