"""Vendor bills: the three-way match (held with reasons beyond tolerance), release by an
approver, payments, amount due, due dates from payment terms and the order's billing
status."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from shared.context import Runtime
from subgraphs.purchases.models import BillPayment, VendorBill
from tests.conftest import GraphQLClient, TenantHandle

from .conftest import (
    CREATE_BILL,
    PAY,
    RECEIVE,
    RELEASE_BILL,
    Buyer,
    confirmed_order,
    count,
    events,
    line,
    make_buyer,
    ok,
    refused,
    set_policy,
)


async def received_order(gql: GraphQLClient, buyer: Buyer) -> dict[str, Any]:
    """100 widgets at 9.00 (+20% tax) and 10 gadgets at 2.50; 60 widgets and all gadgets in."""
    order = await confirmed_order(
        gql,
        buyer,
        [
            line(buyer.products["widget"], "100", taxPercent="20"),
            line(buyer.products["gadget"], "10"),
        ],
    )
    lines = [
        {"lineId": order["lines"][0]["id"], "quantity": "60"},
        {"lineId": order["lines"][1]["id"], "quantity": "10"},
    ]
    got = await ok(
        gql, RECEIVE, {"id": order["id"], "lines": lines}, buyer.purchasing, "receivePurchaseOrder"
    )
    return dict(got["order"])


async def test_a_bill_of_what_was_received_matches_and_is_posted(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await received_order(gql, buyer)
    payload = await ok(
        gql,
        CREATE_BILL,
        {"orderId": order["id"], "supplierReference": "INV-77", "billDate": "2026-03-10"},
        buyer.purchasing,
        "createVendorBill",
    )
    bill = payload["bill"]
    assert bill["number"] == "BILL-2026-00001"
    assert (bill["status"], bill["holdReasons"], bill["currency"]) == ("POSTED", [], "EUR")
    assert (bill["billDate"], bill["dueDate"]) == ("2026-03-10", "2026-04-09")  # 30 days
    assert [(ln["quantity"], ln["unitCost"], ln["total"]["amount"]) for ln in bill["lines"]] == [
        ("60.0000", "9.0000", "648.00"),
        ("10.0000", "2.5000", "25.00"),
    ]
    assert (bill["untaxed"], bill["tax"], bill["total"]) == (
        {"amount": "565.00"},
        {"amount": "108.00"},
        {"amount": "673.00", "currency": "EUR"},
    )
    assert bill["amountDue"] == {"amount": "673.00"}
    assert bill["order"]["billingStatus"] == "PARTIALLY_BILLED"
    nothing = await refused(
        gql,
        CREATE_BILL,
        {"orderId": order["id"], "supplierReference": "INV-78"},
        buyer.purchasing,
        "createVendorBill",
    )
    assert [(e["field"], e["code"]) for e in nothing] == [("input.orderId", "NOTHING_TO_BILL")]
    duplicate = await refused(
        gql,
        CREATE_BILL,
        {
            "orderId": order["id"],
            "supplierReference": "INV-77",
            "lines": [{"lineId": order["lines"][0]["id"], "quantity": "1"}],
        },
        buyer.purchasing,
        "createVendorBill",
    )
    assert [(e["field"], e["code"]) for e in duplicate] == [
        ("input.supplierReference", "DUPLICATE")
    ]


async def test_a_mismatching_bill_is_held_with_its_reasons_until_an_approver_releases_it(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await received_order(gql, buyer)
    widget_line = order["lines"][0]["id"]
    payload = await ok(
        gql,
        CREATE_BILL,
        {
            "orderId": order["id"],
            "supplierReference": "SUP-1",
            "lines": [{"lineId": widget_line, "quantity": "70", "unitCost": "9.50"}],
        },
        buyer.purchasing,
        "createVendorBill",
    )
    bill = payload["bill"]
    reasons = [
        "Line 1: 70 billed, 60 received",
        "Line 1: unit cost 9.5 billed, 9 ordered",
    ]
    assert (bill["status"], bill["holdReasons"]) == ("HELD", reasons)
    assert bill["lines"][0]["holdReason"] == "; ".join(reasons)
    assert (bill["lines"][0]["orderedQuantity"], bill["lines"][0]["receivedQuantity"]) == (
        "100.0000",
        "60.0000",
    )
    assert bill["order"]["billingStatus"] == "NOT_BILLED"  # held bills do not count
    [held] = await events(runtime, buyer.tenant.id, "bill.held")
    assert held["reasons"] == reasons
    assert held["total"] == "798.00"  # 665.00 + 20% tax
    unpaid = await refused(
        gql, PAY, {"billId": bill["id"], "amount": "10"}, buyer.purchasing, "payVendorBill"
    )
    assert [(e["field"], e["code"]) for e in unpaid] == [("input.billId", "NOT_PAYABLE")]
    forbidden = await gql(RELEASE_BILL, {"input": {"id": bill["id"]}}, token=buyer.purchasing)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    released = await ok(gql, RELEASE_BILL, {"id": bill["id"]}, buyer.manager, "releaseVendorBill")
    assert released["bill"]["status"] == "POSTED"
    assert released["bill"]["releasedBy"] is not None
    assert released["bill"]["order"]["billingStatus"] == "PARTIALLY_BILLED"
    again = await refused(gql, RELEASE_BILL, {"id": bill["id"]}, buyer.manager, "releaseVendorBill")
    assert [(e["field"], e["code"]) for e in again] == [("input.id", "INVALID_STATE")]


async def test_tolerance_lets_small_differences_through(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    await set_policy(runtime, buyer.tenant.id, match_tolerance="5")
    order = await received_order(gql, buyer)
    payload = await ok(
        gql,
        CREATE_BILL,
        {
            "orderId": order["id"],
            "supplierReference": "T-1",
            # 63 of 60 received is 5% over; 9.45 is 5% above 9.00.
            "lines": [{"lineId": order["lines"][0]["id"], "quantity": "63", "unitCost": "9.45"}],
        },
        buyer.purchasing,
        "createVendorBill",
    )
    assert (payload["bill"]["status"], payload["bill"]["holdReasons"]) == ("POSTED", [])


async def test_payments_reduce_the_amount_due_until_the_bill_and_then_the_order_are_paid(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await confirmed_order(gql, buyer, [line(buyer.products["gadget"], "10")])
    await ok(gql, RECEIVE, {"id": order["id"]}, buyer.purchasing, "receivePurchaseOrder")
    bill = (
        await ok(
            gql,
            CREATE_BILL,
            {"orderId": order["id"], "supplierReference": "P-1"},
            buyer.purchasing,
            "createVendorBill",
        )
    )["bill"]
    assert bill["order"]["billingStatus"] == "BILLED"
    for amount, code in (
        ("0", "MUST_BE_POSITIVE"),
        ("1.001", "TOO_PRECISE"),
        ("25.01", "OVERPAYMENT"),
    ):
        errors = await refused(
            gql, PAY, {"billId": bill["id"], "amount": amount}, buyer.purchasing, "payVendorBill"
        )
        assert [(e["field"], e["code"]) for e in errors] == [("input.amount", code)]
    part = await ok(
        gql,
        PAY,
        {"billId": bill["id"], "amount": "10.50", "date": "2026-05-01"},
        buyer.purchasing,
        "payVendorBill",
    )
    assert part["payment"]["amount"] == {"amount": "10.50", "currency": "EUR"}
    assert (part["bill"]["status"], part["bill"]["amountDue"]) == ("POSTED", {"amount": "14.50"})
    key = {"Idempotency-Key": f"pay-{bill['id']}"}
    rest = await ok(
        gql, PAY, {"billId": bill["id"], "amount": "14.50"}, buyer.purchasing, "payVendorBill", key
    )
    replay = await ok(
        gql, PAY, {"billId": bill["id"], "amount": "14.50"}, buyer.purchasing, "payVendorBill", key
    )
    assert replay["payment"]["id"] == rest["payment"]["id"]
    paid = rest["bill"]
    assert (paid["status"], paid["amountDue"], paid["amountPaid"]) == (
        "PAID",
        {"amount": "0.00"},
        {"amount": "25.00"},
    )
    assert paid["paidAt"] is not None
    assert paid["order"]["billingStatus"] == "PAID"
    assert await count(runtime, buyer.tenant.id, BillPayment) == 2
    [event] = await events(runtime, buyer.tenant.id, "bill.paid")
    assert event == {
        "number": bill["number"],
        "orderId": order["id"],
        "supplierId": str(buyer.supplier_id),
        "total": "25.00",
        "currency": "EUR",
    }
    after = await refused(
        gql, PAY, {"billId": bill["id"], "amount": "1"}, buyer.purchasing, "payVendorBill"
    )
    assert [(e["field"], e["code"]) for e in after] == [("input.billId", "ALREADY_PAID")]


async def test_bills_need_a_committed_order_and_good_lines(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer
) -> None:
    order = await received_order(gql, buyer)
    errors = await refused(
        gql,
        CREATE_BILL,
        {
            "orderId": order["id"],
            "supplierReference": " ",
            "lines": [
                {"lineId": str(uuid.uuid4()), "quantity": "1"},
                {
                    "lineId": order["lines"][0]["id"],
                    "quantity": "-1",
                    "unitCost": "-2",
                    "taxPercent": "150",
                },
                {"lineId": order["lines"][1]["id"], "quantity": "99999999999999"},
            ],
        },
        buyer.purchasing,
        "createVendorBill",
    )
    assert sorted((e["field"], e["code"]) for e in errors) == [
        ("input.lines.0.lineId", "NOT_FOUND"),
        ("input.lines.1.quantity", "MUST_BE_POSITIVE"),
        ("input.lines.1.taxPercent", "OUT_OF_RANGE"),
        ("input.lines.1.unitCost", "NEGATIVE"),
        ("input.lines.2.quantity", "OUT_OF_RANGE"),
        ("input.supplierReference", "REQUIRED"),
    ]
    assert await count(runtime, buyer.tenant.id, VendorBill) == 0


async def test_another_tenant_cannot_bill_or_pay(
    runtime: Runtime, gql: GraphQLClient, buyer: Buyer, other_tenant: TenantHandle
) -> None:
    order = await received_order(gql, buyer)
    bill = (
        await ok(
            gql,
            CREATE_BILL,
            {"orderId": order["id"], "supplierReference": "X-1"},
            buyer.purchasing,
            "createVendorBill",
        )
    )["bill"]
    stranger = await make_buyer(runtime, other_tenant)
    errors = await refused(
        gql,
        CREATE_BILL,
        {"orderId": order["id"], "supplierReference": "X-2"},
        stranger.purchasing,
        "createVendorBill",
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.orderId", "NOT_FOUND")]
    errors = await refused(
        gql, PAY, {"billId": bill["id"], "amount": "1"}, stranger.purchasing, "payVendorBill"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.billId", "NOT_FOUND")]
    errors = await refused(
        gql, RELEASE_BILL, {"id": bill["id"]}, stranger.manager, "releaseVendorBill"
    )
    assert [(e["field"], e["code"]) for e in errors] == [("input.id", "NOT_FOUND")]
    listed = await gql("{ vendorBills { totalCount } }", token=stranger.viewer)
    assert listed["data"]["vendorBills"]["totalCount"] == 0
    mine = await gql(
        "query($o: ID!) { vendorBills(filter: {orderId: $o, status: [POSTED]}) { totalCount "
        "edges { node { number amountDue { amount } } } } }",
        {"o": order["id"]},
        token=buyer.viewer,
    )
    assert mine["data"]["vendorBills"]["totalCount"] == 1
    assert await count(runtime, other_tenant.id, VendorBill) == 0
    assert Decimal(
        mine["data"]["vendorBills"]["edges"][0]["node"]["amountDue"]["amount"]
    ) == Decimal("673")
    assert dt.date.fromisoformat(bill["dueDate"]) == dt.date.fromisoformat(
        bill["billDate"]
    ) + dt.timedelta(days=30)
